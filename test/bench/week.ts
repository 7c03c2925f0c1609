/**
 * `npx tsx test/bench/week.ts [--fixture FILE] [--days 7] [--no-tshark]` (also `npm run bench --
 * --week`, after the rest of the benchmark): the full audit of a week of one whole home, beside tcpdump and tshark on the same file
 * in the same run.
 *
 * The fixture is MADEA's busiest day laid end to end (test/bench/week-fixture.ts: 15.4 M packets,
 * 1.46 GB), built under the system temp folder when missing. Each command runs as its own process
 * under /usr/bin/time (wall time and peak RSS); ours is the built CLI (`npm run build` first), as a
 * person runs it:
 *   tcpdump -r FILE -w /dev/null               reading the file
 *   tshark -r FILE -T fields -e …              extracting the fields our cross-check compares
 *   telltale analyze FILE                      devices only
 *   telltale analyze FILE --activity           + both observers (labelled as they read), timelines,
 *                                              the in-home observers
 *   telltale analyze FILE --findings           + findings and the defence what-ifs (the full audit)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildWeekFixture } from './week-fixture.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/src-main/cli/telltale.js');
const LABELS = resolve(ROOT, '../shared/datasets/madea/labels.csv');
/** Targets of issue 14 for the week. */
const MAX_RSS_MB = 600;
const MAX_SECONDS = 180;

interface Run {
  name: string;
  seconds: number;
  rssMb: number;
}

/** Runs a command under /usr/bin/time, its output thrown away: wall seconds and peak RSS. */
function measured(name: string, cmd: string, args: string[]): Run {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 1 << 26,
  });
  const lines = r.stderr.toString().trim().split('\n');
  const last = lines.at(-1) ?? '';
  const m = /^([\d.]+) (\d+)$/.exec(last);
  if (r.status !== 0 || m === null) throw new Error(`${name} failed: ${lines.slice(-5).join('\n')}`);
  return { name, seconds: Number(m[1]), rssMb: Number(m[2]) / 1024 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      fixture: { type: 'string' },
      days: { type: 'string', default: '7' },
      'no-tshark': { type: 'boolean' },
    },
  });
  if (!existsSync(CLI)) throw new Error(`${CLI}: missing; run \`npm run build\` first`);
  const fixture = values.fixture ?? join(tmpdir(), `telltale-week-${values.days}d.pcap`);
  if (!existsSync(fixture)) {
    console.log(`building ${fixture} …`);
    await buildWeekFixture(fixture, Number(values.days));
  }
  const size = statSync(fixture).size;
  console.log(`Week fixture: ${fixture} (${(size / 1e9).toFixed(2)} GB)\n`);
  const runs: Run[] = [];
  const show = (r: Run): void => {
    runs.push(r);
    console.log(
      `  ${r.name.padEnd(44)} ${r.seconds.toFixed(1).padStart(7)} s  ${r.rssMb.toFixed(0).padStart(6)} MB`,
    );
  };
  show(measured('tcpdump -r FILE -w /dev/null', 'tcpdump', ['-r', fixture, '-w', '/dev/null']));
  if (values['no-tshark'] !== true)
    show(
      measured('tshark -r FILE -T fields', 'tshark', [
        '-r',
        fixture,
        '-T',
        'fields',
        ...['frame.time_epoch', 'frame.len', 'eth.src', 'eth.dst', 'ip.src', 'ip.dst'].flatMap((f) => [
          '-e',
          f,
        ]),
        ...['tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport'].flatMap((f) => ['-e', f]),
      ]),
    );
  const analyze = (extra: string[]): string[] => [CLI, 'analyze', fixture, '--labels', LABELS, ...extra];
  show(measured('telltale analyze', process.execPath, analyze([])));
  show(measured('telltale analyze --activity', process.execPath, analyze(['--activity'])));
  const full = measured(
    'telltale analyze --findings (full audit)',
    process.execPath,
    analyze(['--findings']),
  );
  show(full);

  console.log('\nTargets (issue 14):');
  const tshark = runs.find((r) => r.name.startsWith('tshark'));
  console.log(
    `  full audit peak RSS ${full.rssMb.toFixed(0)} MB (at most ${MAX_RSS_MB}): ${full.rssMb <= MAX_RSS_MB ? 'met' : 'NOT met'}`,
  );
  console.log(
    `  full audit ${full.seconds.toFixed(1)} s (at most ${MAX_SECONDS} on our 2 cores): ${full.seconds <= MAX_SECONDS ? 'met' : 'NOT met'}`,
  );
  if (tshark !== undefined)
    console.log(
      `  full audit / tshark -T fields: ${(full.seconds / tshark.seconds).toFixed(2)} (below 1: ${full.seconds < tshark.seconds ? 'met' : 'NOT met'})`,
    );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
