import { describe, expect, it } from 'vitest';
import { ByteReader, readU16, readU32, readU32le } from '../../../src-main/decode/byte-reader.ts';

const bytes = Uint8Array.from([0x01, 0x02, 0x03, 0x04, 0xff, 0xfe, 0xfd, 0xfc]);

describe('ByteReader', () => {
  it('reads big-endian values in sequence', () => {
    const r = new ByteReader().reset(bytes, 0);
    expect(r.u8('a')).toBe(0x01);
    expect(r.u16('b')).toBe(0x0203);
    expect(r.pos).toBe(3);
    r.pos = 4;
    expect(r.u32('c')).toBe(0xfffefdfc);
    expect(r.ok).toBe(true);
    expect(r.remaining()).toBe(0);
  });

  it('reading past the captured bytes is truncation and returns 0', () => {
    const r = new ByteReader().reset(bytes, 6);
    expect(r.u32('field')).toBe(0);
    expect(r.failKind).toBe('truncated');
    expect(r.failOffset).toBe(6);
    expect(r.failMessage).toContain('field');
    expect(r.pos).toBe(6);
  });

  it('reading past a declared length that the bytes cover is malformation', () => {
    const r = new ByteReader().reset(bytes, 0);
    r.bound(4);
    expect(r.end).toBe(4);
    expect(r.need(4, 'x')).toBe(true);
    expect(r.need(5, 'x')).toBe(false);
    expect(r.failKind).toBe('malformed');
  });

  it('a declared length beyond the capture makes running out truncation', () => {
    const r = new ByteReader().reset(bytes, 0);
    r.bound(100);
    expect(r.end).toBe(bytes.length);
    expect(r.skip(9, 'x')).toBe(false);
    expect(r.failKind).toBe('truncated');
  });

  it('a bound can only narrow', () => {
    const r = new ByteReader().reset(bytes, 0);
    r.bound(4);
    r.bound(6);
    expect(r.declaredEnd).toBe(4);
    expect(r.end).toBe(4);
  });

  it('keeps the first failure and charges it to the current layer', () => {
    const r = new ByteReader().reset(bytes, 0);
    r.layer = 'udp';
    r.malformed('first', 2);
    r.layer = 'dns';
    r.fail('truncated', 'second', 5);
    expect(r.failKind).toBe('malformed');
    expect(r.failLayer).toBe('udp');
    expect(r.failOffset).toBe(2);
    expect(r.failMessage).toBe('first');
    r.reset(bytes, 0);
    expect(r.ok).toBe(true);
    expect(r.declaredEnd).toBe(Infinity);
  });

  it('absolute readers', () => {
    expect(readU16(bytes, 4)).toBe(0xfffe);
    expect(readU32(bytes, 4)).toBe(0xfffefdfc);
    expect(readU32le(bytes, 0)).toBe(0x04030201);
  });
});
