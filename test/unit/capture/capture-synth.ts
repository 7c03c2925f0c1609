/**
 * Builds pcap and pcapng files byte by byte for the capture reader's tests: either byte order,
 * µs / ns / modified pcap, pcapng sections with several interfaces (link types, if_tsresol,
 * if_tsoffset), Enhanced / Simple / obsolete Packet Blocks and blocks of unknown type.
 */
import { gzipSync } from 'node:zlib';
import { LinkType } from '../../../src-main/capture/packet-source.ts';

/** A packet of a synthetic pcap file. */
export interface SynthPcapPacket {
  sec: number;
  /** Microseconds or nanoseconds, as the file's magic says. */
  frac: number;
  data: Uint8Array;
  /** Defaults to data.length. */
  origLen?: number;
  /** Overrides the caplen field (to write impossible lengths). */
  caplenField?: number;
}

export interface SynthPcapOptions {
  littleEndian?: boolean;
  nanos?: boolean;
  /** Kuznetsov's modified format: 24-byte record headers. */
  modified?: boolean;
  linkType?: number;
  snaplen?: number;
  packets: SynthPcapPacket[];
}

/** A classic pcap file. */
export function pcapFile(o: SynthPcapOptions): Buffer {
  const le = o.littleEndian ?? true;
  const magic = o.modified ? 0xa1b2cd34 : o.nanos ? 0xa1b23c4d : 0xa1b2c3d4;
  const recordHeader = o.modified ? 24 : 16;
  const parts: Buffer[] = [];
  const header = Buffer.alloc(24);
  const v = new DataView(header.buffer, header.byteOffset, 24);
  v.setUint32(0, magic, le);
  v.setUint16(4, 2, le);
  v.setUint16(6, 4, le);
  v.setUint32(16, o.snaplen ?? 262144, le);
  v.setUint32(20, o.linkType ?? 1, le);
  parts.push(header);
  for (const p of o.packets) {
    const rec = Buffer.alloc(recordHeader);
    const rv = new DataView(rec.buffer, rec.byteOffset, recordHeader);
    rv.setUint32(0, p.sec, le);
    rv.setUint32(4, p.frac, le);
    rv.setUint32(8, p.caplenField ?? p.data.length, le);
    rv.setUint32(12, p.origLen ?? p.data.length, le);
    parts.push(rec, Buffer.from(p.data));
  }
  return Buffer.concat(parts);
}

/** Options of an Interface Description Block. */
export interface SynthInterface {
  linkType: number;
  snaplen?: number;
  /** if_tsresol byte (e.g. 6 = µs, 9 = ns, 0x80 | 10 = 2^-10 s); omitted = no option (µs). */
  tsresol?: number;
  /** if_tsoffset in seconds. */
  tsoffset?: number;
}

/** Writes the blocks of one pcapng section in one byte order. Concatenate sections with Buffer.concat. */
export class PcapngSectionWriter {
  private readonly blocks: Buffer[] = [];

  constructor(readonly littleEndian = true) {
    this.block(0x0a0d0d0a, (w) => {
      w.u32(0x1a2b3c4d);
      w.u16(1);
      w.u16(0);
      w.u32(0xffffffff); // section length -1: unknown (two u32 halves of an int64)
      w.u32(0xffffffff);
      w.option(4, Buffer.from('telltale tests')); // shb_userappl
      w.u32(0); // opt_endofopt
    });
  }

  interface(i: SynthInterface): this {
    return this.block(1, (w) => {
      w.u16(i.linkType);
      w.u16(0);
      w.u32(i.snaplen ?? 0);
      w.option(2, Buffer.from('eth0')); // if_name, to be skipped
      if (i.tsresol !== undefined) w.option(9, Buffer.from([i.tsresol]));
      if (i.tsoffset !== undefined) {
        const b = Buffer.alloc(8);
        if (this.littleEndian) b.writeBigInt64LE(BigInt(i.tsoffset));
        else b.writeBigInt64BE(BigInt(i.tsoffset));
        w.option(14, b);
      }
      w.u32(0);
    });
  }

  /** Enhanced Packet Block; `ts` counts the interface's units since the epoch. */
  enhanced(
    interfaceId: number,
    ts: bigint,
    data: Uint8Array,
    origLen = data.length,
    caplenField = data.length,
  ): this {
    return this.block(6, (w) => {
      w.u32(interfaceId);
      w.u32(Number(ts >> 32n));
      w.u32(Number(ts & 0xffffffffn));
      w.u32(caplenField);
      w.u32(origLen);
      w.padded(data);
      w.option(1, Buffer.from('comment')); // opt_comment, to be skipped
      w.u32(0);
    });
  }

  /** Simple Packet Block: original length and data. */
  simple(data: Uint8Array, origLen = data.length): this {
    return this.block(3, (w) => {
      w.u32(origLen);
      w.padded(data);
    });
  }

  /** Obsolete Packet Block (pcapng Appendix A). */
  obsolete(interfaceId: number, ts: bigint, data: Uint8Array, origLen = data.length): this {
    return this.block(2, (w) => {
      w.u16(interfaceId);
      w.u16(0);
      w.u32(Number(ts >> 32n));
      w.u32(Number(ts & 0xffffffffn));
      w.u32(data.length);
      w.u32(origLen);
      w.padded(data);
    });
  }

  /**
   * Interface Statistics Block with isb_ifrecv and, where given, isb_ifdrop / isb_osdrop (64-bit
   * counters written as two u32 in the section's order, high half first in big-endian).
   */
  statistics(interfaceId: number, counts: { received?: number; ifDrop?: number; osDrop?: number }): this {
    const u64 = (n: number): Buffer => {
      const b = Buffer.alloc(8);
      if (this.littleEndian) b.writeBigUInt64LE(BigInt(n));
      else b.writeBigUInt64BE(BigInt(n));
      return b;
    };
    return this.block(5, (w) => {
      w.u32(interfaceId);
      w.u32(0);
      w.u32(1000);
      if (counts.received !== undefined) w.option(4, u64(counts.received));
      if (counts.ifDrop !== undefined) w.option(5, u64(counts.ifDrop));
      if (counts.osDrop !== undefined) w.option(7, u64(counts.osDrop));
      w.u32(0);
    });
  }

  /** A block of a type the reader does not know (body of `bodyBytes` bytes). */
  unknown(type: number, bodyBytes: number): this {
    return this.block(type, (w) => {
      w.padded(new Uint8Array(bodyBytes).fill(0xee));
    });
  }

  /** Appends raw bytes (for damaged files). */
  raw(bytes: Uint8Array): this {
    this.blocks.push(Buffer.from(bytes));
    return this;
  }

  build(): Buffer {
    return Buffer.concat(this.blocks);
  }

  /** Byte offset where the next block will start. */
  get length(): number {
    return this.blocks.reduce((n, b) => n + b.length, 0);
  }

  private block(type: number, body: (w: BodyWriter) => void): this {
    const w = new BodyWriter(this.littleEndian);
    body(w);
    const content = w.build();
    const total = 12 + content.length;
    const out = Buffer.alloc(total);
    const v = new DataView(out.buffer, out.byteOffset, total);
    v.setUint32(0, type, this.littleEndian);
    v.setUint32(4, total, this.littleEndian);
    out.set(content, 8);
    v.setUint32(total - 4, total, this.littleEndian);
    this.blocks.push(out);
    return this;
  }
}

class BodyWriter {
  private readonly parts: Buffer[] = [];
  constructor(private readonly le: boolean) {}

  u16(n: number): void {
    const b = Buffer.alloc(2);
    if (this.le) b.writeUInt16LE(n);
    else b.writeUInt16BE(n);
    this.parts.push(b);
  }

  u32(n: number): void {
    const b = Buffer.alloc(4);
    if (this.le) b.writeUInt32LE(n >>> 0);
    else b.writeUInt32BE(n >>> 0);
    this.parts.push(b);
  }

  /** Data padded to 32 bits. */
  padded(data: Uint8Array): void {
    this.parts.push(Buffer.from(data), Buffer.alloc((4 - (data.length % 4)) % 4));
  }

  option(code: number, value: Uint8Array): void {
    this.u16(code);
    this.u16(value.length);
    this.padded(value);
  }

  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** `n` bytes counting up from `seed` (mod 256), so every packet's bytes differ. */
export function bytesOf(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (seed + i) & 0xff;
  return b;
}

export function gzip(data: Uint8Array): Buffer {
  return gzipSync(data);
}

/** A two-section file: little-endian with two interfaces, then big-endian with a third link type. */
export function twoSectionFile(): Buffer {
  const first = new PcapngSectionWriter(true)
    .interface({ linkType: LinkType.ETHERNET, snaplen: 65535 }) // default µs
    .interface({ linkType: LinkType.RAW, tsresol: 9, tsoffset: 100 }) // ns, +100 s
    .enhanced(0, 1_700_000_000_123_456n, bytesOf(60, 1))
    .unknown(0x00000bad, 10)
    .enhanced(1, 1_700_000_000_987_654_321n, bytesOf(41, 2), 1500)
    .simple(bytesOf(33, 3))
    .obsolete(1, 1_700_000_001_000_000_000n, bytesOf(28, 4))
    .build();
  const second = new PcapngSectionWriter(false)
    .interface({ linkType: LinkType.LINUX_SLL2, tsresol: 0x80 | 10 }) // 2^-10 s
    .enhanced(0, 1_700_000_002n * 1024n + 512n, bytesOf(50, 5))
    .unknown(0x40000001, 0)
    .build();
  return Buffer.concat([first, second]);
}
