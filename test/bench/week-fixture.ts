/**
 * `npx tsx test/bench/week-fixture.ts [--days 7] [--day 2023-06-13] [--out FILE]`
 *
 * Builds a long capture of one whole home from real data (never committed): MADEA's busiest
 * monitoring day (2023-06-13: 110 files, 2.2 M packets, 15 devices, 22.2 hours) read in the order
 * of their first packets and written as one pcap, then copies of that day shifted in time with `editcap -t`, each
 * starting a second after the one before ends (so the audit reads one continuous week), laid end
 * to end with `mergecap -a` into one classic pcap: 7 copies (6.5 days) give 15.4 M packets, 1.46 GB. The week
 * benchmark (test/bench/week.ts) audits it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { orderByFirstPacket } from '../../src-main/audit/capture-analysis.ts';
import { readCaptureFile } from '../../src-main/capture/capture-file.ts';
import type { RawPacket } from '../../src-main/capture/packet-source.ts';
import { writePcapFile } from '../../src-main/capture/pcap-writer.ts';
import { madeaDay } from '../../src-main/evaluation/datasets.ts';

const MONITORING = resolve(import.meta.dirname, '../../../shared/datasets/madea/monitoring');

/** First and last packet time and the packet count of a capture file. */
async function extent(path: string): Promise<{ first: number; last: number; packets: number }> {
  let first = Infinity;
  let last = -Infinity;
  let packets = 0;
  await readCaptureFile(path, (batch) => {
    for (const p of batch) {
      if (p.ts < first) first = p.ts;
      if (p.ts > last) last = p.ts;
    }
    packets += batch.length;
  });
  return { first, last, packets };
}

function run(tool: string, args: string[]): void {
  execFileSync(tool, args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

export async function buildWeekFixture(
  out: string,
  days = 7,
  day = '2023-06-13',
): Promise<{ packets: number; seconds: number }> {
  if (!existsSync(MONITORING)) throw new Error(`${MONITORING}: no MADEA monitoring captures`);
  const files = readdirSync(MONITORING)
    .filter((f) => madeaDay(f) === day)
    .map((f) => join(MONITORING, f));
  if (files.length === 0) throw new Error(`${MONITORING}: no capture of ${day}`);
  const ordered = (await orderByFirstPacket(files)).map((i) => files[i]);
  const work = mkdtempSync(join(tmpdir(), 'telltale-week-'));
  try {
    // the day through our own reader (some of its files are cut short, which mergecap refuses;
    // the reader keeps every packet before the damage), written as one pcap
    const one = join(work, 'day-0.pcap');
    const frames: RawPacket[] = [];
    for (const file of ordered)
      await readCaptureFile(file, (batch) => {
        for (const p of batch) frames.push({ ...p, bytes: p.bytes.slice() });
      });
    if (frames.length === 0) throw new Error(`${day}: no packets`);
    writePcapFile(one, frames, frames[0].linkType);
    frames.length = 0;
    const { first, last, packets } = await extent(one);
    const length = Math.ceil(last - first) + 1;
    const copies = [one];
    for (let k = 1; k < days; k++) {
      const copy = join(work, `day-${k}.pcap`);
      run('editcap', ['-F', 'pcap', '-t', String(k * length), one, copy]);
      copies.push(copy);
    }
    run('mergecap', ['-a', '-F', 'pcap', '-w', out, ...copies]);
    return { packets: packets * days, seconds: days * length };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      days: { type: 'string', default: '7' },
      day: { type: 'string', default: '2023-06-13' },
      out: { type: 'string' },
    },
  });
  const out = values.out ?? join(tmpdir(), `telltale-week-${values.days}d.pcap`);
  const r = await buildWeekFixture(out, Number(values.days), values.day);
  console.log(`${out}: ${r.packets} packets over ${(r.seconds / 86_400).toFixed(2)} days`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
