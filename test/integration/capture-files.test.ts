/**
 * Reads every capture file of the shared data sets (../shared/datasets beside the repository) and
 * checks that the reader delivers exactly the packets capinfos counts, and reports a 'truncated'
 * error exactly for the files capinfos finds cut short (keeping every packet before the cut).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCaptureFile } from '../../src-main/capture/capture-file.ts';
import type { CaptureError } from '../../src-main/capture/packet-source.ts';

const DATASETS = resolve(import.meta.dirname, '../../../shared/datasets');
const CAPTURE_NAME = /\.(pcap|cap|pcapng)(\.gz)?$/i;
/** The one MADEA file the data set's README names as cut mid-packet. */
const KNOWN_CUT = 'madea/monitoring/monitoring_2023-5-31_10_11_20.cap.gz';
/** Files read at once. */
const PARALLEL = 4;

function captureFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...captureFiles(path));
    else if (entry.isFile() && CAPTURE_NAME.test(entry.name)) out.push(path);
  }
  return out.sort();
}

interface Expected {
  packets: Map<string, number>;
  /** Files capinfos says end in the middle of a packet. */
  cut: Set<string>;
}

/** One capinfos run over all files: packet counts (-T -c -M: table, count, exact numbers). */
function capinfos(files: string[]): Expected {
  const run = spawnSync('capinfos', ['-T', '-c', '-M', ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.error) throw run.error;
  const packets = new Map<string, number>();
  for (const line of run.stdout.split('\n').slice(1)) {
    const [name, count] = line.split('\t');
    if (name && count) packets.set(name, Number(count));
  }
  const cut = new Set<string>();
  for (const m of run.stderr.matchAll(
    /The file "(.+)" appears to have been cut short in the middle of a packet/g,
  )) {
    cut.add(m[1]);
  }
  return { packets, cut };
}

interface ReadResult {
  packets: number;
  errors: readonly CaptureError[];
}

async function readAll(path: string): Promise<ReadResult> {
  const source = openCaptureFile(path);
  let packets = 0;
  for await (const batch of source.batches()) packets += batch.length;
  expect(source.stats.packets).toBe(packets);
  return { packets, errors: source.errors };
}

async function readAllFiles(files: string[]): Promise<Map<string, ReadResult>> {
  const results = new Map<string, ReadResult>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const path = files[next++];
      results.set(path, await readAll(path));
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return results;
}

describe.skipIf(!existsSync(DATASETS))('every capture file of the shared data sets', () => {
  it(
    'reads the packets capinfos counts, with errors only for files cut short',
    { timeout: 120_000 },
    async () => {
      const files = captureFiles(DATASETS);
      expect(files.length).toBeGreaterThan(600);
      const expected = capinfos(files);
      expect(expected.packets.size).toBe(files.length);
      expect(expected.cut.has(join(DATASETS, KNOWN_CUT))).toBe(true);

      const results = await readAllFiles(files);
      const mismatches: string[] = [];
      for (const path of files) {
        const name = relative(DATASETS, path);
        const got = results.get(path)!;
        const want = expected.packets.get(path);
        if (got.packets !== want)
          mismatches.push(`${name}: read ${got.packets} packets, capinfos counts ${want}`);
        const kinds = got.errors.map((e) => e.kind).join(',');
        const wantKinds = expected.cut.has(path) ? 'truncated' : '';
        if (kinds !== wantKinds) mismatches.push(`${name}: errors [${kinds}], expected [${wantKinds}]`);
      }
      expect(mismatches).toEqual([]);

      const known = results.get(join(DATASETS, KNOWN_CUT))!;
      expect(known.packets).toBe(expected.packets.get(join(DATASETS, KNOWN_CUT)));
      expect(known.errors[0]).toMatchObject({ kind: 'truncated', fatal: true });
      expect(known.errors[0].message).toContain('monitoring_2023-5-31_10_11_20.cap.gz at byte offset');
      expect(known.errors[0].message).toContain('of the decompressed data');
    },
  );
});
