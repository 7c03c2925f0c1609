/**
 * Test helpers: run capture data through a RecordStream in chosen chunk sizes and collect
 * everything it hands out.
 */
import type { ParseFailure } from '../../../src-main/capture/capture-error.ts';
import type { RawPacket } from '../../../src-main/capture/packet-source.ts';
import { RecordStream } from '../../../src-main/capture/record-stream.ts';

export interface StreamResult {
  packets: RawPacket[];
  batches: number[];
  problems: ParseFailure[];
  failure: ParseFailure | null;
  position: number;
  format: 'pcap' | 'pcapng' | null;
}

/** Feeds `data` in chunks of `chunkSize` bytes (default: all at once). */
export function readStream(data: Uint8Array, chunkSize = data.length || 1, batchSize = 1024): StreamResult {
  const cuts: number[] = [];
  for (let at = chunkSize; at < data.length; at += chunkSize) cuts.push(at);
  return readStreamCut(data, cuts, batchSize);
}

/** Feeds `data` cut at the given offsets. */
export function readStreamCut(data: Uint8Array, cuts: number[], batchSize = 1024): StreamResult {
  const stream = new RecordStream(batchSize);
  const packets: RawPacket[] = [];
  const batches: number[] = [];
  const problems: ParseFailure[] = [];
  let from = 0;
  for (const to of [...cuts, data.length]) {
    if (to <= from && to !== data.length) continue;
    stream.push(Buffer.from(data.subarray(from, to)));
    from = to;
    for (let b = stream.nextBatch(); b !== null; b = stream.nextBatch()) {
      batches.push(b.length);
      packets.push(...b);
    }
    problems.push(...stream.takeProblems());
    if (stream.failure !== null) break;
  }
  const last = stream.finish();
  if (last.length > 0) {
    batches.push(last.length);
    packets.push(...last);
  }
  problems.push(...stream.takeProblems());
  return {
    packets,
    batches,
    problems,
    failure: stream.failure,
    position: stream.position,
    format: stream.format,
  };
}

/** The fields of a packet, with bytes as a plain array, for deep equality. */
export function plain(p: RawPacket): Omit<RawPacket, 'bytes'> & { bytes: number[] } {
  return {
    ts: p.ts,
    caplen: p.caplen,
    origLen: p.origLen,
    linkType: p.linkType,
    bytes: [...p.bytes],
    index: p.index,
  };
}
