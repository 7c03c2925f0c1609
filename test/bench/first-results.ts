/**
 * `npx tsx test/bench/first-results.ts [--day 2023-06-13]`: how soon a person sees results when
 * they open a one-day capture in the app. The real engine (as the desktop app and browser mode
 * run it, with the bundled models) replays MADEA's busiest day (110 files, 2.2 M packets) at full
 * speed; each snapshot it emits is timed from the request: the first with devices, the first with
 * both observers' answers, "done" (the audit with the in-home observers), and the what-ifs' end.
 * REPLAY_AUDIT_MS sets how often the replay shows the observers as they stand (default 5000).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../../src-main/engine/engine.ts';
import { madeaDay } from '../../src-main/evaluation/datasets.ts';
import type { Snapshot } from '../../src-main/shared/ipc-contract.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const MONITORING = resolve(ROOT, '../shared/datasets/madea/monitoring');

/** Target of issue 14: devices and observers on screen within this many seconds of opening a day. */
const TARGET_SECONDS = 10;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { day: { type: 'string', default: '2023-06-13' } } });
  const files = readdirSync(MONITORING)
    .filter((f) => madeaDay(f) === values.day)
    .map((f) => join(MONITORING, f));
  const dataDir = mkdtempSync(join(tmpdir(), 'telltale-first-'));
  const seen: { devices?: number; observers?: number; done?: number; whatIfs?: number } = {};
  let t0 = 0;
  let last: Snapshot | null = null;
  /** The what-ifs were seen running (they end when it clears). */
  let pending = false;
  const engine = new Engine({
    dataDir,
    modelsDir: join(ROOT, 'models'),
    mode: 'browser',
    version: 'bench',
    snapshotIntervalMs: 250,
    replayAuditIntervalMs: Number(process.env.REPLAY_AUDIT_MS ?? 5000),
    emit: (_event, s) => {
      const at = (performance.now() - t0) / 1000;
      last = s;
      if (seen.devices === undefined && s.devices.length > 0) seen.devices = at;
      if (seen.observers === undefined && (s.observers?.length ?? 0) === 2) seen.observers = at;
      if (seen.done === undefined && s.status === 'done') seen.done = at;
      if (s.whatIfsPending !== null) pending = true;
      if (pending && seen.whatIfs === undefined && s.whatIfsPending === null) seen.whatIfs = at;
    },
  });
  try {
    t0 = performance.now();
    const r = await engine.handle('capture.openFiles', { paths: files, speed: 'max' });
    if (!r.ok) throw new Error(r.error.message);
    const deadline = Date.now() + 600_000;
    while (seen.whatIfs === undefined && Date.now() < deadline) await new Promise((x) => setTimeout(x, 100));
    const snap = last as Snapshot | null;
    console.log(
      `${files.length} files of MADEA ${values.day}, ${snap?.progress.packets ?? 0} packets, replayed at full speed\n`,
    );
    const row = (name: string, s: number | undefined): void => {
      console.log(`  ${name.padEnd(48)} ${s === undefined ? '-' : `${s.toFixed(1)} s`}`);
    };
    row('first snapshot with devices', seen.devices);
    row("first snapshot with both observers' answers", seen.observers);
    row('done (observers, timelines, in-home observers)', seen.done);
    row('what-ifs ended', seen.whatIfs);
    const first = Math.max(seen.devices ?? Infinity, seen.observers ?? Infinity);
    console.log(
      `\nTarget: devices and observers on screen within ${TARGET_SECONDS} s: ${first <= TARGET_SECONDS ? 'met' : 'NOT met'} (${first.toFixed(1)} s)`,
    );
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
