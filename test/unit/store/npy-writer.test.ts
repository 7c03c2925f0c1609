import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NpyWriter } from '../../../src-main/store/npy-writer.ts';

function readNpyHeader(path: string): { header: string; dataOffset: number; data: Buffer } {
  const file = readFileSync(path);
  expect([...file.subarray(0, 6)]).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
  const headerLength = file.readUInt16LE(8);
  const dataOffset = 10 + headerLength;
  expect(dataOffset % 64).toBe(0);
  return {
    header: file.subarray(10, dataOffset).toString('latin1'),
    dataOffset,
    data: file.subarray(dataOffset),
  };
}

describe('NpyWriter', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const tempFile = (name: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'npy-'));
    dirs.push(dir);
    return join(dir, name);
  };

  it('writes a 2-D float32 matrix across several buffer flushes with the final shape in the header', () => {
    const path = tempFile('x.npy');
    const writer = new NpyWriter(path, 'float32', 3, 64);
    const rows = 50;
    for (let r = 0; r < rows; r++) writer.append(new Float32Array([r, r + 0.5, -r]));
    writer.close();
    const { header, data } = readNpyHeader(path);
    expect(header).toContain("'descr': '<f4'");
    expect(header).toContain("'shape': (50, 3)");
    expect(header.endsWith('\n')).toBe(true);
    const values = new Float32Array(data.buffer, data.byteOffset, data.length / 4);
    expect(values.length).toBe(150);
    expect(values[3 * 49 + 1]).toBe(49.5);
    expect(values[3 * 7 + 2]).toBe(-7);
  });

  it('writes 1-D scalars of every integer dtype', () => {
    const path = tempFile('y.npy');
    const writer = new NpyWriter(path, 'int16', 0, 64);
    for (let i = -40; i < 40; i++) writer.appendScalar(i);
    writer.close();
    const { header, data } = readNpyHeader(path);
    expect(header).toContain("'shape': (80,)");
    expect(data.readInt16LE(0)).toBe(-40);
    expect(data.readInt16LE(79 * 2)).toBe(39);
  });

  it('rejects a partial row', () => {
    const writer = new NpyWriter(tempFile('z.npy'), 'float32', 4);
    expect(() => {
      writer.append(new Float32Array(6));
    }).toThrow(/whole number of 4-wide rows/);
    writer.close();
  });

  it('is read by numpy when numpy is installed', (context) => {
    let hasNumpy = true;
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    } catch {
      hasNumpy = false;
    }
    if (!hasNumpy) {
      context.skip('numpy is not installed for /usr/bin/python3');
      return;
    }
    const path = tempFile('n.npy');
    const writer = new NpyWriter(path, 'float64', 2);
    writer.append(new Float64Array([1.5, 2, 3, 4.25]));
    writer.close();
    const out = execFileSync('/usr/bin/python3', [
      '-c',
      `import numpy as np; a = np.load(${JSON.stringify(path)}); print(a.shape, a.dtype, a[1, 1])`,
    ]).toString();
    expect(out.trim()).toBe('(2, 2) float64 4.25');
  });
});
