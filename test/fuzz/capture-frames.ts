/**
 * Test helper: the frames of a capture file as RawPackets, independent of the project's own
 * capture reader. Any format editcap reads (pcap, pcapng, gzip-compressed) is converted to
 * classic pcap in a temporary file and parsed here (libpcap file format:
 * https://www.tcpdump.org/manpages/pcap-savefile.5.html).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RawPacket } from '../../src-main/capture/packet-source.ts';

/** Parses a classic pcap file image (micro- or nanosecond magic, either byte order). */
export function parsePcap(file: Uint8Array): RawPacket[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magicBe = view.getUint32(0, false);
  let little: boolean;
  let nano: boolean;
  if (magicBe === 0xa1b2c3d4 || magicBe === 0xa1b23c4d) {
    little = false;
    nano = magicBe === 0xa1b23c4d;
  } else {
    const magicLe = view.getUint32(0, true);
    if (magicLe !== 0xa1b2c3d4 && magicLe !== 0xa1b23c4d) throw new Error('not a pcap file');
    little = true;
    nano = magicLe === 0xa1b23c4d;
  }
  const linkType = view.getUint32(20, little) & 0x0fffffff;
  const packets: RawPacket[] = [];
  let off = 24;
  while (off + 16 <= file.length) {
    const sec = view.getUint32(off, little);
    const frac = view.getUint32(off + 4, little);
    const caplen = view.getUint32(off + 8, little);
    const origLen = view.getUint32(off + 12, little);
    off += 16;
    if (off + caplen > file.length) break;
    packets.push({
      ts: sec + frac / (nano ? 1e9 : 1e6),
      caplen,
      origLen,
      linkType,
      bytes: file.slice(off, off + caplen),
      index: packets.length,
    });
    off += caplen;
  }
  return packets;
}

/** Reads every frame of `file` (any format editcap understands) via a temporary pcap copy. */
export function readFrames(file: string): RawPacket[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'telltale-frames-'));
  try {
    const out = path.join(dir, 'frames.pcap');
    // A file that ends mid-packet makes editcap exit non-zero after writing what it could read.
    const run = spawnSync('editcap', ['-F', 'pcap', file, out], { stdio: ['ignore', 'ignore', 'pipe'] });
    if (!existsSync(out)) throw new Error(`editcap failed on ${file}: ${String(run.stderr)}`);
    return parsePcap(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
