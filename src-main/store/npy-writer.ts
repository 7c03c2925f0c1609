/**
 * Streaming writer for NumPy `.npy` files (format version 1.0,
 * https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html), so that Python's
 * `numpy.load` reads our tensors directly with no converter. Rows are appended as they come; the
 * header (which holds the shape) is written with room to spare and patched on close, so memory
 * stays bounded by the write buffer whatever the number of rows.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export type NpyDtype = 'float32' | 'float64' | 'int16' | 'int32' | 'uint32' | 'uint8';

const DESCR: Record<NpyDtype, string> = {
  float32: '<f4',
  float64: '<f8',
  int16: '<i2',
  int32: '<i4',
  uint32: '<u4',
  uint8: '|u1',
};

const ITEM_SIZE: Record<NpyDtype, number> = {
  float32: 4,
  float64: 8,
  int16: 2,
  int32: 4,
  uint32: 4,
  uint8: 1,
};

type TypedArrayFor = Float32Array | Float64Array | Int16Array | Int32Array | Uint32Array | Uint8Array;

/** Header length including magic and version, a multiple of 64 as numpy recommends. */
const HEADER_BYTES = 128;
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

function headerFor(dtype: NpyDtype, shape: readonly number[]): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const prefix = MAGIC.length + 2 + 2; // magic, version 1.0, uint16 header length
  const padded = dict.padEnd(HEADER_BYTES - prefix - 1, ' ') + '\n';
  if (prefix + padded.length !== HEADER_BYTES) {
    throw new Error(`npy header too long for shape ${shapeText}`);
  }
  const out = Buffer.alloc(HEADER_BYTES);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(padded.length, 8);
  out.write(padded, prefix, 'latin1');
  return out;
}

export class NpyWriter {
  readonly path: string;
  readonly dtype: NpyDtype;
  /** Elements per row: 0 for a 1-D array, else the second dimension. */
  readonly rowWidth: number;
  private readonly fd: number;
  private readonly buffer: Buffer;
  private fill = 0;
  private elements = 0;
  private closed = false;

  constructor(path: string, dtype: NpyDtype, rowWidth = 0, bufferBytes = 1 << 20) {
    this.path = path;
    this.dtype = dtype;
    this.rowWidth = rowWidth;
    this.fd = openSync(path, 'w');
    this.buffer = Buffer.alloc(Math.max(bufferBytes, 64 * ITEM_SIZE[dtype]));
    writeSync(this.fd, headerFor(dtype, this.shape()));
  }

  /** Number of rows written so far. */
  get rows(): number {
    return this.rowWidth === 0 ? this.elements : this.elements / this.rowWidth;
  }

  /** Appends elements (a whole number of rows) from a typed array of this writer's dtype. */
  append(values: TypedArrayFor, start = 0, end = values.length): void {
    if (this.closed) throw new Error(`npy writer for ${this.path} is closed`);
    const count = end - start;
    if (this.rowWidth > 0 && count % this.rowWidth !== 0) {
      throw new Error(`npy append of ${count} elements is not a whole number of ${this.rowWidth}-wide rows`);
    }
    const itemSize = ITEM_SIZE[this.dtype];
    let bytes = new Uint8Array(values.buffer, values.byteOffset + start * itemSize, count * itemSize);
    while (bytes.length > 0) {
      const room = this.buffer.length - this.fill;
      const take = Math.min(room, bytes.length);
      this.buffer.set(bytes.subarray(0, take), this.fill);
      this.fill += take;
      bytes = bytes.subarray(take);
      if (this.fill === this.buffer.length) this.flushBuffer();
    }
    this.elements += count;
  }

  /** Appends one number (1-D writers). */
  appendScalar(value: number): void {
    const itemSize = ITEM_SIZE[this.dtype];
    if (this.buffer.length - this.fill < itemSize) this.flushBuffer();
    const at = this.fill;
    switch (this.dtype) {
      case 'float32':
        this.buffer.writeFloatLE(value, at);
        break;
      case 'float64':
        this.buffer.writeDoubleLE(value, at);
        break;
      case 'int16':
        this.buffer.writeInt16LE(value, at);
        break;
      case 'int32':
        this.buffer.writeInt32LE(value, at);
        break;
      case 'uint32':
        this.buffer.writeUInt32LE(value, at);
        break;
      case 'uint8':
        this.buffer.writeUInt8(value, at);
        break;
    }
    this.fill += itemSize;
    this.elements += 1;
  }

  /** Flushes the buffer and writes the final shape into the header. */
  close(): void {
    if (this.closed) return;
    this.flushBuffer();
    writeSync(this.fd, headerFor(this.dtype, this.shape()), 0, HEADER_BYTES, 0);
    closeSync(this.fd);
    this.closed = true;
  }

  private shape(): number[] {
    return this.rowWidth === 0 ? [this.elements] : [this.elements / this.rowWidth, this.rowWidth];
  }

  private flushBuffer(): void {
    if (this.fill === 0) return;
    writeSync(this.fd, this.buffer, 0, this.fill);
    this.fill = 0;
  }
}
