/**
 * A batch of RawPackets under construction, and the one interface the pcap and pcapng record
 * parsers share.
 *
 * Parsers add packets with the offset of their bytes inside the chunk being parsed; `seal()`
 * then copies the chunk's span holding those packets into one fresh buffer (the batch's arena)
 * and points each packet's `bytes` at its slice. That is one allocation and one memcpy per chunk
 * segment instead of one per packet, and the packets own their bytes: the arena is never reused
 * (a packet kept alive keeps its arena alive, nothing more).
 */
import type { ParseFailure } from './capture-error.ts';
import type { RawPacket } from './packet-source.ts';

const NO_BYTES = new Uint8Array(0);

export class PacketBatch {
  /** The packets, in capture order. Handed to the consumer as is. */
  readonly packets: RawPacket[] = [];
  /** Offset of each unsealed packet's bytes in the buffer being parsed. */
  private readonly dataOffsets: Float64Array;
  private sealedCount = 0;
  private nextIndex: number;

  /** @param limit the most packets one batch holds. @param firstIndex index of the first packet. */
  constructor(
    readonly limit: number,
    firstIndex: number,
  ) {
    this.dataOffsets = new Float64Array(limit);
    this.nextIndex = firstIndex;
  }

  get full(): boolean {
    return this.packets.length >= this.limit;
  }

  get length(): number {
    return this.packets.length;
  }

  /** Index the next packet added will get. */
  get indexAfter(): number {
    return this.nextIndex;
  }

  /** Adds a packet whose bytes lie at `dataOffset` of the buffer passed to the next seal(). */
  add(ts: number, caplen: number, origLen: number, linkType: number, dataOffset: number): void {
    const packets = this.packets;
    this.dataOffsets[packets.length] = dataOffset;
    packets.push({ ts, caplen, origLen, linkType, bytes: NO_BYTES, index: this.nextIndex++ });
  }

  /** Copies the bytes of the packets added since the last seal out of `buf` (the buffer they were parsed from). */
  seal(buf: Uint8Array): void {
    const packets = this.packets;
    const from = this.sealedCount;
    const to = packets.length;
    if (from === to) return;
    const start = this.dataOffsets[from];
    const end = this.dataOffsets[to - 1] + packets[to - 1].caplen;
    // Buffer.allocUnsafeSlow: a dedicated, not pooled, not zero-filled ArrayBuffer.
    const arena = Buffer.allocUnsafeSlow(end - start);
    arena.set(buf.subarray(start, end));
    const ab = arena.buffer;
    const shift = arena.byteOffset - start;
    for (let i = from; i < to; i++) {
      const p = packets[i];
      p.bytes = new Uint8Array(ab, this.dataOffsets[i] + shift, p.caplen);
    }
    this.sealedCount = to;
  }
}

/**
 * A parser of one capture format's records (pcap file header + packet records, or pcapng blocks),
 * fed from a stream of chunks. It never sees a partial record: the reader hands it complete ones,
 * stitching records that straddle chunks (using `probeBytes` and `recordLength`).
 */
export interface RecordParser {
  /** Bytes needed at the start of a record before `recordLength` can tell its size. */
  readonly probeBytes: number;
  /** Set when the parser met damage it cannot read past. */
  readonly failure: ParseFailure | null;
  /** Problems the parser stepped over since the last `takeNotices()`. */
  takeNotices(): ParseFailure[] | null;
  /**
   * Total length of the record at `off` (at least `probeBytes` bytes are present), or -1 when its
   * header is impossible (then `failure` is set). `base` is the capture offset of `buf[0]`.
   */
  recordLength(view: DataView, off: number, base: number): number;
  /**
   * Parses complete records in `[off, end)` into `batch` until the batch is full, the next record
   * is incomplete, or damage is found (`failure`). Returns the offset after the last record read.
   */
  parse(view: DataView, off: number, end: number, batch: PacketBatch, base: number): number;
  /** Describes a record cut by the end of the data: `view` holds its first bytes. */
  describeCut(view: DataView): string;
}

/** A DataView over exactly the bytes of `buf`. */
export function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Largest caplen we accept (libpcap's MAXIMUM_SNAPLEN); beyond it a length field is corrupt. */
export const MAX_CAPLEN = 262_144;
