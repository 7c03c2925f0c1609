import { existsSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PacketLabelsFile } from '../../../src-main/audit/packet-labels.ts';
import { PacketExports } from '../../../src-main/engine/packet-export.ts';

/** Writes a CSV of `lines` lines after the header, cut into parts of `perPart` lines. */
function maker(lines: number, perPart: number, calls: string[]) {
  return (path: string): Promise<PacketLabelsFile> => {
    calls.push(path);
    const header = 'row,ts\n';
    const body = Array.from({ length: lines }, (_, i) => `${i},${1000 + i}\n`);
    const partStarts = [0];
    let bytes = header.length;
    body.forEach((line, i) => {
      bytes += line.length;
      if ((i + 1) % perPart === 0 && i + 1 < lines) partStarts.push(bytes);
    });
    writeFileSync(path, header + body.join(''));
    return Promise.resolve({ view: 'napt', modelId: 'm', rows: lines, partStarts, bytes });
  };
}

describe('PacketExports', () => {
  it('makes a file once, hands it over in parts that join to it, and deletes it with the session', async () => {
    const exports = new PacketExports();
    const calls: string[] = [];
    const make = maker(10, 4, calls);
    const parts = [await exports.part('napt', 0, make)];
    for (let k = 1; k < parts[0].parts; k++) parts.push(await exports.part('napt', k, make));
    expect(parts.map((p) => p.part)).toEqual([0, 1, 2]);
    expect(parts.map((p) => p.csv).join('')).toBe(
      'row,ts\n' + Array.from({ length: 10 }, (_, i) => `${i},${1000 + i}\n`).join(''),
    );
    // part 0 again reads the file made before
    await exports.part('napt', 0, make);
    expect(calls).toHaveLength(1);
    await expect(exports.part('napt', 3, make)).rejects.toThrow('part 3 does not exist: the export has 3');
    await expect(exports.part('vpn', 1, make)).rejects.toThrow('ask for part 0 first');
    expect(existsSync(calls[0])).toBe(true);
    await exports.dispose();
    expect(existsSync(dirname(calls[0]))).toBe(false);
    await expect(exports.part('napt', 0, make)).rejects.toThrow('the session has ended');
  });

  it('makes one file for two requests at once', async () => {
    const exports = new PacketExports();
    const calls: string[] = [];
    const make = maker(3, 10, calls);
    const [a, b] = await Promise.all([exports.part('vpn', 0, make), exports.part('vpn', 0, make)]);
    expect(a).toEqual(b);
    expect(calls).toHaveLength(1);
    await exports.dispose();
  });
});
