/**
 * A bounds-checked cursor over a packet's bytes.
 *
 * The reader never throws. A read that would pass its bound records a failure ("sticky": the
 * first one wins) and returns 0; callers check `ok` (or the boolean that `need` returns) before
 * they trust what they read. Two kinds of failure, as in {@link DecodeError}:
 *
 * * truncated — the captured bytes end before the structure does (snap length, cut file);
 * * malformed — a field is impossible, or a structure runs past the length its enclosing
 *   header declared (an IP total length, a UDP length, a DNS RDLENGTH).
 *
 * A bound therefore has two parts: `end`, the last readable offset (never past the captured
 * bytes), and `declaredEnd`, the end that the enclosing header promised (Infinity when none).
 * Running past `end` while still inside `declaredEnd` is truncation; running past
 * `declaredEnd` is malformation.
 *
 * One reader is reused for every packet (see `reset`), so reading allocates nothing.
 */
import type { DecodeError, LayerName } from './decoded-packet.ts';

export type DecodeErrorKind = DecodeError['kind'];

const EMPTY = new Uint8Array(0);

export class ByteReader {
  bytes: Uint8Array = EMPTY;
  /** Next offset to read, absolute within `bytes`. */
  pos = 0;
  /** Exclusive end of what may be read: min(declaredEnd, bytes.length). */
  end = 0;
  /** Exclusive end the enclosing structure declared; Infinity when nothing declared one. */
  declaredEnd = Infinity;
  /** The layer being decoded; a failure is charged to it. Decoders set it before they read. */
  layer: LayerName = 'eth';
  /** First failure since `reset`, or null. */
  failKind: DecodeErrorKind | null = null;
  failLayer: LayerName = 'eth';
  failOffset = 0;
  failMessage = '';

  /** Points the reader at `bytes[start, ...)` with no declared bound and clears any failure. */
  reset(bytes: Uint8Array, start: number): this {
    this.bytes = bytes;
    this.pos = start;
    this.end = bytes.length;
    this.declaredEnd = Infinity;
    this.failKind = null;
    this.failLayer = 'eth';
    this.failOffset = 0;
    this.failMessage = '';
    return this;
  }

  /** True while no read has failed. */
  get ok(): boolean {
    return this.failKind === null;
  }

  /** Bytes left before `end`. */
  remaining(): number {
    return this.end - this.pos;
  }

  /**
   * Narrows the readable region to `declaredEnd` (absolute). A declared end beyond the current
   * declared end cannot widen it: the tighter promise wins.
   */
  bound(declaredEnd: number): void {
    if (declaredEnd < this.declaredEnd) this.declaredEnd = declaredEnd;
    const cap = this.bytes.length;
    this.end = this.declaredEnd < cap ? this.declaredEnd : cap;
  }

  /**
   * Checks that `n` more bytes can be read at `pos`. On failure records truncated (the capture
   * ran out) or malformed (the declared length ran out) and returns false.
   */
  need(n: number, what: string): boolean {
    if (n <= this.end - this.pos) return true;
    if (n < 0 || this.pos + n > this.declaredEnd) {
      return this.fail('malformed', `${what} runs past its declared length`, this.pos);
    }
    return this.fail('truncated', `${what} cut short by the capture`, this.pos);
  }

  /** Records a malformed field at `offset` (default: `pos`); returns false for convenient `return r.malformed(...)`. */
  malformed(message: string, offset: number = this.pos): false {
    return this.fail('malformed', message, offset);
  }

  /** Records the first failure (offset clamped to the bytes); later ones are ignored. Always returns false. */
  fail(kind: DecodeErrorKind, message: string, offset: number): false {
    if (this.failKind === null) {
      this.failKind = kind;
      this.failLayer = this.layer;
      // A length field can point anywhere: report at most the end of the bytes.
      this.failOffset = offset < this.bytes.length ? offset : this.bytes.length;
      this.failMessage = message;
    }
    return false;
  }

  /** Advances `n` bytes if they are there. */
  skip(n: number, what: string): boolean {
    if (!this.need(n, what)) return false;
    this.pos += n;
    return true;
  }

  /** Reads one byte, or records a failure and returns 0. */
  u8(what: string): number {
    if (!this.need(1, what)) return 0;
    return this.bytes[this.pos++];
  }

  /** Reads a big-endian 16-bit value, or records a failure and returns 0. */
  u16(what: string): number {
    if (!this.need(2, what)) return 0;
    const b = this.bytes;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p] << 8) | b[p + 1];
  }

  /** Reads a big-endian 32-bit value (unsigned), or records a failure and returns 0. */
  u32(what: string): number {
    if (!this.need(4, what)) return 0;
    const v = readU32(this.bytes, this.pos);
    this.pos += 4;
    return v;
  }
}

/** Big-endian 16-bit value at `off`; the caller has checked the bounds. */
export function readU16(b: Uint8Array, off: number): number {
  return (b[off] << 8) | b[off + 1];
}

/** Big-endian unsigned 32-bit value at `off`; the caller has checked the bounds. */
export function readU32(b: Uint8Array, off: number): number {
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}

/** Little-endian unsigned 32-bit value at `off`; the caller has checked the bounds. */
export function readU32le(b: Uint8Array, off: number): number {
  return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
}
