/**
 * Telling capture formats apart by their first bytes (never by file name): gzip wrapping, then
 * pcap (any of its magics) or pcapng.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { pcapFlavourOf, PcapParser } from './pcap-parser.ts';
import { BlockType, PcapngParser } from './pcapng-parser.ts';
import type { RecordParser } from './packet-batch.ts';

/** gzip member header ID1 ID2 (RFC 1952 §2.3.1). */
export function isGzip(first: Uint8Array): boolean {
  return first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
}

/** Bytes needed to recognise a capture format (pcapng also needs its byte-order magic). */
export const MAGIC_PROBE_BYTES = 12;

/** What the first bytes of (decompressed) capture data say. */
export type FormatVerdict =
  | { kind: 'parser'; parser: RecordParser; format: 'pcap' | 'pcapng' }
  /** The data is too short to tell, but what there is fits a known magic. */
  | { kind: 'too-short' }
  | { kind: 'unknown'; detail: string };

/** Known magics, as written big-endian, for matching a too-short prefix. */
const KNOWN_MAGICS = [
  0xa1b2c3d4,
  0xd4c3b2a1,
  0xa1b23c4d,
  0x4d3cb2a1,
  0xa1b2cd34,
  0x34cdb2a1,
  BlockType.SECTION_HEADER,
];

/** Picks the record parser for capture data beginning with `head` (all the bytes there are, or at least MAGIC_PROBE_BYTES). */
export function detectFormat(head: Uint8Array): FormatVerdict {
  if (head.length >= 4) {
    const magic = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
    const flavour = pcapFlavourOf(magic);
    if (flavour !== null) return { kind: 'parser', parser: new PcapParser(flavour), format: 'pcap' };
    if (magic === BlockType.SECTION_HEADER) {
      if (head.length < MAGIC_PROBE_BYTES) return { kind: 'too-short' };
      // Byte-order magic 0x1A2B3C4D at offset 8 (draft-ietf-opsawg-pcapng §4.1).
      if (head[8] === 0x1a && head[9] === 0x2b && head[10] === 0x3c && head[11] === 0x4d) {
        return { kind: 'parser', parser: new PcapngParser(false), format: 'pcapng' };
      }
      if (head[8] === 0x4d && head[9] === 0x3c && head[10] === 0x2b && head[11] === 0x1a) {
        return { kind: 'parser', parser: new PcapngParser(true), format: 'pcapng' };
      }
      return { kind: 'unknown', detail: 'pcapng section header with a bad byte-order magic' };
    }
  } else if (KNOWN_MAGICS.some((m) => prefixMatches(head, m))) {
    return { kind: 'too-short' };
  }
  // the bytes themselves are not quoted: a file that is not a capture must not show its content
  return {
    kind: 'unknown',
    detail: 'not a pcap, pcapng or gzip file (its first bytes match none of their signatures)',
  };
}

function prefixMatches(head: Uint8Array, magic: number): boolean {
  for (let i = 0; i < head.length; i++) {
    if (head[i] !== ((magic >>> (24 - 8 * i)) & 0xff)) return false;
  }
  return true;
}

/**
 * Whether the file at `path` starts like capture data: gzip (its content is not looked at here),
 * pcap or pcapng. For refusing a choice of files none of which is a capture before anything else
 * happens; reading tells a damaged capture from a good one.
 */
export function startsLikeCapture(path: string): boolean {
  const head = new Uint8Array(MAGIC_PROBE_BYTES);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const first = head.subarray(0, n);
  return isGzip(first) || detectFormat(first).kind !== 'unknown';
}
