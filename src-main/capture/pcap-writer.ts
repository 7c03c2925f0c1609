/**
 * Writes packets as a classic libpcap file (draft-ietf-opsawg-pcap): microsecond time stamps,
 * little-endian, one link type. The evaluation uses it to build capture files out of real
 * packets (the spliced-upload test); the reader reads them like any other capture.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { RawPacket } from './packet-source.ts';

const FILE_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
/** Snap length written in the header: the largest caplen the reader accepts as ordinary. */
const SNAP_LENGTH = 262144;
/** Bytes gathered before each write. */
const FLUSH_BYTES = 1 << 20;

/** The 24-byte file header of a little-endian microsecond pcap file. */
export function pcapFileHeader(linkType: number): Buffer {
  const header = Buffer.alloc(FILE_HEADER_BYTES);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(SNAP_LENGTH, 16);
  header.writeUInt32LE(linkType, 20);
  return header;
}

/** One packet record: header (seconds, microseconds, caplen, origLen) and the captured bytes. */
export function pcapRecord(packet: Pick<RawPacket, 'ts' | 'bytes' | 'origLen'>): Buffer {
  let sec = Math.floor(packet.ts);
  let usec = Math.round((packet.ts - sec) * 1e6);
  if (usec >= 1e6) {
    sec += 1;
    usec -= 1e6;
  }
  const record = Buffer.alloc(RECORD_HEADER_BYTES + packet.bytes.length);
  record.writeUInt32LE(sec, 0);
  record.writeUInt32LE(usec, 4);
  record.writeUInt32LE(packet.bytes.length, 8);
  record.writeUInt32LE(Math.max(packet.origLen, packet.bytes.length), 12);
  record.set(packet.bytes, RECORD_HEADER_BYTES);
  return record;
}

/**
 * Writes `packets` (in the order given) to `path`, replacing it. Every packet must have
 * `linkType`: a pcap file has one.
 */
export function writePcapFile(
  path: string,
  packets: Iterable<Pick<RawPacket, 'ts' | 'bytes' | 'origLen' | 'linkType'>>,
  linkType: number,
): number {
  const fd = openSync(path, 'w');
  let count = 0;
  try {
    const pending: Buffer[] = [pcapFileHeader(linkType)];
    let pendingBytes = FILE_HEADER_BYTES;
    const flush = (): void => {
      const chunk = Buffer.concat(pending, pendingBytes);
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off);
      pending.length = 0;
      pendingBytes = 0;
    };
    for (const p of packets) {
      if (p.linkType !== linkType)
        throw new Error(`${path}: packet ${count} has link type ${p.linkType}, the file ${linkType}`);
      const record = pcapRecord(p);
      pending.push(record);
      pendingBytes += record.length;
      count++;
      if (pendingBytes >= FLUSH_BYTES) flush();
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return count;
}
