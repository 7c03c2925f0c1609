/**
 * pcapng files (draft-ietf-opsawg-pcapng, "PCAP Now Generic"): a sequence of blocks, each
 * `type (4) | total length (4) | body | total length (4)`, grouped in sections that each start
 * with a Section Header Block fixing the section's byte order. Interface Description Blocks give
 * each interface its link type, snap length and timestamp resolution / offset; packets come in
 * Enhanced, Simple, or the obsolete Packet Blocks. Interface Statistics Blocks are read for the
 * packets the capturing program recorded as lost (dumpcap writes one per interface when it
 * stops): a capture that is missing packets says so. Other block types are skipped.
 */
import type { ParseFailure } from './capture-error.ts';
import { MAX_CAPLEN, type PacketBatch, type RecordParser } from './packet-batch.ts';

/** Block type codes (draft-ietf-opsawg-pcapng §10.1). */
export const BlockType = {
  SECTION_HEADER: 0x0a0d0d0a,
  INTERFACE_DESCRIPTION: 0x00000001,
  PACKET: 0x00000002, // obsolete (Appendix A)
  SIMPLE_PACKET: 0x00000003,
  INTERFACE_STATISTICS: 0x00000005,
  ENHANCED_PACKET: 0x00000006,
} as const;

/** Byte-order magic of the Section Header Block (§4.1), as written in the section's order. */
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BYTE_ORDER_MAGIC_SWAPPED = 0x4d3c2b1a;
/** if_tsresol and if_tsoffset option codes of the Interface Description Block (§4.2). */
const OPT_END = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;
/** isb_ifdrop (dropped by the interface or its driver) and isb_osdrop (by the operating system) (§4.6). */
const OPT_ISB_IFDROP = 5;
const OPT_ISB_OSDROP = 7;
/** Every block has type, length and trailing length. */
const MIN_BLOCK_BYTES = 12;
/** Largest block we accept (Wireshark's limit too); bounds what the reader buffers. */
export const MAX_BLOCK_BYTES = 16 * 1024 * 1024;
const TWO_POW_32 = 4294967296;
/** A section's interface table is small in practice; more than this is a corrupt file. */
const MAX_INTERFACES = 65_536;
const MAX_NOTICES = 16;

/** A 64-bit integer at `pos` as a number (exact below 2^53), in the section's byte order. */
function int64At(view: DataView, pos: number, le: boolean, signed: boolean): number {
  const hi = signed ? view.getInt32(pos + (le ? 4 : 0), le) : view.getUint32(pos + (le ? 4 : 0), le);
  const lo = view.getUint32(pos + (le ? 0 : 4), le);
  return hi * TWO_POW_32 + lo;
}

export class PcapngParser implements RecordParser {
  readonly probeBytes = MIN_BLOCK_BYTES;
  failure: ParseFailure | null = null;
  private notices: ParseFailure[] | null = null;
  /** Byte order of the current section. */
  private littleEndian: boolean;
  // The current section's interfaces, as parallel arrays (read per packet).
  private ifLinkType: number[] = [];
  private ifSnapLength: number[] = [];
  /** Timestamp units per second (10^n or 2^n, from if_tsresol; default 10^6). */
  private ifUnits: number[] = [];
  /** Seconds added to every timestamp (if_tsoffset). */
  private ifOffset: number[] = [];
  /** Timestamp of the last packet, for Simple Packet Blocks, which carry none. */
  private lastTs = 0;
  /** Per interface of the section, the most packets an Interface Statistics Block recorded lost. */
  private ifDropped: number[] = [];

  /** @param littleEndian byte order of the first section, read from its byte-order magic. */
  constructor(littleEndian: boolean) {
    this.littleEndian = littleEndian;
  }

  takeNotices(): ParseFailure[] | null {
    const n = this.notices;
    this.notices = null;
    return n;
  }

  recordLength(view: DataView, off: number, base: number): number {
    const type = view.getUint32(off, this.littleEndian);
    let le = this.littleEndian;
    if (type === BlockType.SECTION_HEADER) {
      const order = this.sectionByteOrder(view, off, base);
      if (order === null) return -1;
      le = order;
    }
    const length = view.getUint32(off + 4, le);
    return this.checkLength(type, length, base + off) ? length : -1;
  }

  parse(view: DataView, off: number, end: number, batch: PacketBatch, base: number): number {
    while (!batch.full) {
      if (end - off < MIN_BLOCK_BYTES) break;
      // The SHB type is a palindrome, so it reads the same in either byte order.
      const type = view.getUint32(off, this.littleEndian);
      if (type === BlockType.SECTION_HEADER) {
        const order = this.sectionByteOrder(view, off, base);
        if (order === null) break;
        this.littleEndian = order;
      }
      const le = this.littleEndian;
      const length = view.getUint32(off + 4, le);
      if (!this.checkLength(type, length, base + off)) break;
      if (end - off < length) break;
      const trailing = view.getUint32(off + length - 4, le);
      if (trailing !== length) {
        this.fail(
          'malformed',
          base + off,
          `block length ${length} does not match its trailing length ${trailing}`,
        );
        break;
      }
      if (type === BlockType.ENHANCED_PACKET) {
        if (!this.readPacket(view, off, length, view.getUint32(off + 8, le), 32, batch, base)) break;
      } else if (type === BlockType.SIMPLE_PACKET) {
        if (!this.readSimplePacket(view, off, length, batch, base)) break;
      } else if (type === BlockType.PACKET) {
        if (!this.readPacket(view, off, length, view.getUint16(off + 8, le), 32, batch, base)) break;
      } else if (type === BlockType.INTERFACE_DESCRIPTION) {
        this.readInterface(view, off, length, base);
      } else if (type === BlockType.INTERFACE_STATISTICS) {
        this.readStatistics(view, off, length, base);
      } else if (type === BlockType.SECTION_HEADER) {
        this.startSection(view, off, base);
        if (this.failure !== null) break;
      }
      off += length;
    }
    return off;
  }

  describeCut(view: DataView): string {
    if (view.byteLength < 8) {
      return `file ends inside a pcapng block header (${view.byteLength} of ${MIN_BLOCK_BYTES} bytes)`;
    }
    const type = view.getUint32(0, this.littleEndian);
    const length = view.getUint32(4, this.littleEndian);
    const what =
      type === BlockType.ENHANCED_PACKET || type === BlockType.SIMPLE_PACKET || type === BlockType.PACKET
        ? 'a packet block'
        : `a block of type 0x${type.toString(16)}`;
    return `file ends inside ${what} (the block needs ${length} bytes, only ${view.byteLength} are there)`;
  }

  /**
   * Enhanced Packet Block (§4.3) and obsolete Packet Block (Appendix A) share a layout after the
   * interface id: timestamp high/low at +12/+16, captured length +20, original length +24, data +28.
   */
  private readPacket(
    view: DataView,
    off: number,
    length: number,
    interfaceId: number,
    minLength: number,
    batch: PacketBatch,
    base: number,
  ): boolean {
    const le = this.littleEndian;
    if (length < minLength) {
      this.fail('malformed', base + off, `packet block length ${length} is shorter than ${minLength}`);
      return false;
    }
    const caplen = view.getUint32(off + 20, le);
    if (caplen > MAX_CAPLEN || caplen > length - minLength) {
      this.fail(
        'malformed',
        base + off,
        `impossible packet length ${caplen} in a ${length}-byte block (limit ${MAX_CAPLEN})`,
      );
      return false;
    }
    if (interfaceId >= this.ifLinkType.length) {
      this.notice(
        base + off,
        `packet names interface ${interfaceId}, which the section does not describe; skipped`,
      );
      return true;
    }
    const high = view.getUint32(off + 12, le);
    const low = view.getUint32(off + 16, le);
    const ts = this.timestamp(interfaceId, high, low);
    this.lastTs = ts;
    batch.add(ts, caplen, view.getUint32(off + 24, le), this.ifLinkType[interfaceId], off + 28);
    return true;
  }

  /**
   * Simple Packet Block (§4.4): original length then data, interface 0, no timestamp (we reuse the
   * previous packet's). The captured length is the smallest of the original length, the snap
   * length and what the block holds.
   */
  private readSimplePacket(
    view: DataView,
    off: number,
    length: number,
    batch: PacketBatch,
    base: number,
  ): boolean {
    if (length < 16) {
      this.fail('malformed', base + off, `simple packet block length ${length} is shorter than 16`);
      return false;
    }
    if (this.ifLinkType.length === 0) {
      this.notice(base + off, 'simple packet block before any interface description; skipped');
      return true;
    }
    const origLen = view.getUint32(off + 8, this.littleEndian);
    let caplen = Math.min(origLen, length - 16);
    const snap = this.ifSnapLength[0];
    if (snap > 0 && snap < caplen) caplen = snap;
    if (caplen > MAX_CAPLEN) {
      this.fail(
        'malformed',
        base + off,
        `impossible packet length ${caplen} (more than ${MAX_CAPLEN} bytes)`,
      );
      return false;
    }
    batch.add(this.lastTs, caplen, origLen, this.ifLinkType[0], off + 12);
    return true;
  }

  /**
   * Walks a block's options (§3.5: code (2), length (2), value padded to 32 bits; ended by
   * opt_endofopt) from `pos` to `optEnd`, calling `visit` with each one's code, value offset and
   * length; an option running past the block is said once and ends the walk.
   */
  private readOptions(
    view: DataView,
    pos: number,
    optEnd: number,
    base: number,
    block: string,
    visit: (code: number, valueAt: number, length: number) => void,
  ): void {
    const le = this.littleEndian;
    while (optEnd - pos >= 4) {
      const code = view.getUint16(pos, le);
      const len = view.getUint16(pos + 2, le);
      if (code === OPT_END) break;
      if (pos + 4 + len > optEnd) {
        this.notice(
          base + pos,
          `${block} option ${code} runs past the end of its block; options ignored from here`,
        );
        break;
      }
      visit(code, pos + 4, len);
      pos += 4 + ((len + 3) & ~3);
    }
  }

  /** Interface Description Block (§4.2): link type, reserved, snap length, options. */
  private readInterface(view: DataView, off: number, length: number, base: number): void {
    if (length < 20) {
      this.notice(base + off, `interface description block length ${length} is shorter than 20; skipped`);
      return;
    }
    if (this.ifLinkType.length >= MAX_INTERFACES) {
      this.notice(base + off, `more than ${MAX_INTERFACES} interfaces in one section; skipped`);
      return;
    }
    const le = this.littleEndian;
    let units = 1e6;
    let offsetSeconds = 0;
    this.readOptions(view, off + 16, off + length - 4, base, 'interface', (code, pos, len) => {
      if (code === OPT_IF_TSRESOL && len >= 1) units = resolutionUnits(view.getUint8(pos));
      else if (code === OPT_IF_TSOFFSET && len >= 8) offsetSeconds = int64At(view, pos, le, true);
    });
    this.ifLinkType.push(view.getUint16(off + 8, le));
    this.ifSnapLength.push(view.getUint32(off + 12, le));
    this.ifUnits.push(units);
    this.ifOffset.push(offsetSeconds);
  }

  /**
   * Interface Statistics Block (§4.6): interface id, timestamp, options. Its counters run from the
   * start of the capture, so only a count above the last one recorded for the interface is news;
   * each is said once, as a problem that names how many packets the capture misses.
   */
  private readStatistics(view: DataView, off: number, length: number, base: number): void {
    if (length < 24) {
      this.notice(base + off, `interface statistics block length ${length} is shorter than 24; skipped`);
      return;
    }
    const le = this.littleEndian;
    const id = view.getUint32(off + 8, le);
    // the drop counters by option code
    const counters = new Map<number, number>();
    this.readOptions(view, off + 20, off + length - 4, base, 'interface statistics', (code, pos, len) => {
      if ((code === OPT_ISB_IFDROP || code === OPT_ISB_OSDROP) && len === 8)
        counters.set(code, int64At(view, pos, le, false));
    });
    const ifDrop = counters.get(OPT_ISB_IFDROP) ?? null;
    const osDrop = counters.get(OPT_ISB_OSDROP) ?? null;
    if (ifDrop === null && osDrop === null) return;
    const lost = (ifDrop ?? 0) + (osDrop ?? 0);
    if (id >= this.ifLinkType.length || lost <= (this.ifDropped[id] ?? 0)) return;
    this.ifDropped[id] = lost;
    const parts = [
      ...(ifDrop !== null && ifDrop > 0 ? [`${ifDrop} by the network interface`] : []),
      ...(osDrop !== null && osDrop > 0 ? [`${osDrop} by the operating system`] : []),
    ];
    const notices = (this.notices ??= []);
    notices.push({
      kind: 'dropped',
      offset: base + off,
      detail:
        `the capturing program recorded ${lost} packet${lost === 1 ? '' : 's'} lost on interface ${id} ` +
        `(${parts.join(', ')}): the capture is missing ${lost === 1 ? 'it' : 'them'}, so traffic in it is undercounted`,
      fatal: false,
    });
  }

  /** Section Header Block (§4.1): a new section forgets the previous section's interfaces. */
  private startSection(view: DataView, off: number, base: number): void {
    const major = view.getUint16(off + 12, this.littleEndian);
    if (major !== 1) {
      this.fail('malformed', base + off, `unsupported pcapng version ${major}`);
      return;
    }
    this.ifLinkType = [];
    this.ifSnapLength = [];
    this.ifUnits = [];
    this.ifOffset = [];
    this.ifDropped = [];
  }

  /** Seconds since the epoch from the 64-bit count of the interface's units (high, low 32 bits). */
  private timestamp(interfaceId: number, high: number, low: number): number {
    return countToSeconds(high, low, this.ifUnits[interfaceId], this.ifOffset[interfaceId]);
  }

  /** Byte order of the SHB at `off` from its byte-order magic, or null (failure set). */
  private sectionByteOrder(view: DataView, off: number, base: number): boolean | null {
    const magic = view.getUint32(off + 8, false);
    if (magic === BYTE_ORDER_MAGIC) return false;
    if (magic === BYTE_ORDER_MAGIC_SWAPPED) return true;
    this.fail('malformed', base + off, `section header has a bad byte-order magic 0x${magic.toString(16)}`);
    return null;
  }

  /** Block total length rules (§3.1): multiple of 4, at least 12 (28 for an SHB), bounded. */
  private checkLength(type: number, length: number, offset: number): boolean {
    let problem: string | null = null;
    if (length % 4 !== 0) problem = 'is not a multiple of 4';
    else if (length < MIN_BLOCK_BYTES) problem = `is less than ${MIN_BLOCK_BYTES}`;
    else if (type === BlockType.SECTION_HEADER && length < 28) problem = 'is too short for a section header';
    else if (length > MAX_BLOCK_BYTES) problem = `is more than ${MAX_BLOCK_BYTES}`;
    if (problem === null) return true;
    this.fail('malformed', offset, `impossible block length ${length} (${problem})`);
    return false;
  }

  private fail(kind: ParseFailure['kind'], offset: number, detail: string): void {
    this.failure = { kind, offset, detail, fatal: true };
  }

  private notice(offset: number, detail: string): void {
    const notices = (this.notices ??= []);
    // A damaged file can repeat one problem per block: keep the first few per parse() call.
    if (notices.length < MAX_NOTICES) notices.push({ kind: 'malformed', offset, detail, fatal: false });
  }
}

/**
 * Units per second for an if_tsresol value (§4.2): most significant bit clear → 10^-n seconds,
 * set → 2^-n seconds.
 */
export function resolutionUnits(tsresol: number): number {
  const n = tsresol & 0x7f;
  return (tsresol & 0x80) !== 0 ? 2 ** n : 10 ** n;
}

/**
 * `offset + (high * 2^32 + low) / units` rounded once to a double. Splitting off the whole seconds
 * exactly first matters for nanosecond counts, which exceed 2^53 and cannot be held exactly.
 */
export function countToSeconds(high: number, low: number, units: number, offset: number): number {
  if (units > TWO_POW_32 || !Number.isInteger(units)) {
    return offset + high * (TWO_POW_32 / units) + low / units;
  }
  let seconds: number;
  let rest: number;
  if (high < 0x200000) {
    // The count fits in 53 bits: divide, then correct the quotient if the division rounded over it.
    const count = high * TWO_POW_32 + low;
    seconds = Math.floor(count / units);
    rest = count - seconds * units;
    if (rest < 0) {
      seconds -= 1;
      rest += units;
    } else if (rest >= units) {
      seconds += 1;
      rest -= units;
    }
  } else {
    // Long division by 16-bit digits: every intermediate stays below 2^48, so each step is exact.
    let r = high >>> 16;
    seconds = Math.floor(r / units);
    r -= seconds * units;
    r = r * 65536 + (high & 0xffff);
    let q = Math.floor(r / units);
    r -= q * units;
    seconds = seconds * 65536 + q;
    r = r * 65536 + (low >>> 16);
    q = Math.floor(r / units);
    r -= q * units;
    seconds = seconds * 65536 + q;
    r = r * 65536 + (low & 0xffff);
    q = Math.floor(r / units);
    r -= q * units;
    seconds = seconds * 65536 + q;
    rest = r;
  }
  return seconds + offset + rest / units;
}
