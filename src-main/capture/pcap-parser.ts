/**
 * Classic libpcap files (draft-ietf-opsawg-pcap): a 24-byte file header, then packet records of a
 * 16-byte header and `caplen` bytes of data. Either byte order; microsecond (magic 0xA1B2C3D4) or
 * nanosecond (0xA1B23C4D) timestamps; also Alexey Kuznetsov's "modified" format (0xA1B2CD34),
 * whose record headers carry 8 more bytes.
 *
 * Record header (draft §5): seconds, fraction, captured length, original length. A captured length
 * above the file's snap length is accepted as libpcap and Wireshark do (writers disagree on what the
 * snap length means); only one above MAX_CAPLEN is impossible and ends the read, since nothing after
 * a corrupt length can be trusted. caplen < origLen is the snap length at work and kept as is.
 */
import type { ParseFailure } from './capture-error.ts';
import { MAX_CAPLEN, type PacketBatch, type RecordParser } from './packet-batch.ts';

/** Which flavour of pcap a file is, read from its magic number. */
export interface PcapFlavour {
  littleEndian: boolean;
  /** Units per second of the timestamp fraction field: 1e6 (µs) or 1e9 (ns). */
  fractionUnits: number;
  /** Record header length: 16, or 24 for the modified format. */
  recordHeaderBytes: number;
}

const FILE_HEADER_BYTES = 24;

/** The pcap flavour for a magic number read big-endian from the first 4 bytes, or null. */
export function pcapFlavourOf(magicBigEndian: number): PcapFlavour | null {
  switch (magicBigEndian) {
    case 0xa1b2c3d4:
      return { littleEndian: false, fractionUnits: 1e6, recordHeaderBytes: 16 };
    case 0xd4c3b2a1:
      return { littleEndian: true, fractionUnits: 1e6, recordHeaderBytes: 16 };
    case 0xa1b23c4d:
      return { littleEndian: false, fractionUnits: 1e9, recordHeaderBytes: 16 };
    case 0x4d3cb2a1:
      return { littleEndian: true, fractionUnits: 1e9, recordHeaderBytes: 16 };
    case 0xa1b2cd34:
      return { littleEndian: false, fractionUnits: 1e6, recordHeaderBytes: 24 };
    case 0x34cdb2a1:
      return { littleEndian: true, fractionUnits: 1e6, recordHeaderBytes: 24 };
    default:
      return null;
  }
}

export class PcapParser implements RecordParser {
  probeBytes = FILE_HEADER_BYTES;
  failure: ParseFailure | null = null;
  private headerRead = false;
  private linkType = 0;
  /** Snap length from the file header (informational: records are trusted up to MAX_CAPLEN). */
  snapLength = 0;

  constructor(private readonly flavour: PcapFlavour) {}

  takeNotices(): null {
    return null;
  }

  recordLength(view: DataView, off: number, base: number): number {
    if (!this.headerRead) return FILE_HEADER_BYTES;
    const caplen = view.getUint32(off + 8, this.flavour.littleEndian);
    if (caplen > MAX_CAPLEN) {
      this.failCaplen(caplen, base + off);
      return -1;
    }
    return this.flavour.recordHeaderBytes + caplen;
  }

  parse(view: DataView, off: number, end: number, batch: PacketBatch, base: number): number {
    if (!this.headerRead) {
      if (end - off < FILE_HEADER_BYTES) return off;
      this.readFileHeader(view, off);
      off += FILE_HEADER_BYTES;
    }
    const le = this.flavour.littleEndian;
    const units = this.flavour.fractionUnits;
    const headerBytes = this.flavour.recordHeaderBytes;
    const linkType = this.linkType;
    while (!batch.full) {
      if (end - off < headerBytes) break;
      const caplen = view.getUint32(off + 8, le);
      if (caplen > MAX_CAPLEN) {
        this.failCaplen(caplen, base + off);
        break;
      }
      const next = off + headerBytes + caplen;
      if (next > end) break;
      const ts = view.getUint32(off, le) + view.getUint32(off + 4, le) / units;
      batch.add(ts, caplen, view.getUint32(off + 12, le), linkType, off + headerBytes);
      off = next;
    }
    return off;
  }

  describeCut(view: DataView): string {
    if (!this.headerRead) {
      return `file ends inside the pcap file header (${view.byteLength} of ${FILE_HEADER_BYTES} bytes)`;
    }
    const headerBytes = this.flavour.recordHeaderBytes;
    if (view.byteLength < headerBytes) {
      return `file ends inside a packet record header (${view.byteLength} of ${headerBytes} bytes)`;
    }
    const caplen = view.getUint32(8, this.flavour.littleEndian);
    return `file ends inside a packet (the record needs ${headerBytes + caplen} bytes, only ${view.byteLength} are there)`;
  }

  /** File header: magic, version (2+2), thiszone, sigfigs, snaplen, link type (+ FCS bits). */
  private readFileHeader(view: DataView, off: number): void {
    const le = this.flavour.littleEndian;
    this.snapLength = view.getUint32(off + 16, le);
    // The upper 16 bits of the link-type field carry FCS length and reserved bits (draft §4).
    this.linkType = view.getUint32(off + 20, le) & 0xffff;
    this.headerRead = true;
    this.probeBytes = this.flavour.recordHeaderBytes;
  }

  private failCaplen(caplen: number, offset: number): void {
    this.failure = {
      kind: 'malformed',
      offset,
      fatal: true,
      detail: `impossible packet length ${caplen} (more than ${MAX_CAPLEN} bytes)`,
    };
  }
}
