/**
 * `telltale batch` end to end on real capture fixtures: worker threads auditing each capture with
 * the bundled models, one result per capture or per folder, JSON lines and CSV that agree with
 * the audit of the same capture by `runHomeAudit`, a damaged capture reported without stopping
 * the others, and shares of a corpus that together are the whole.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BatchResult } from '../../src-main/audit/batch-summary.ts';
import { runHomeAudit } from '../../src-main/audit/home-audit.ts';
import { rightlyRecognised } from '../../src-main/audit/exposure.ts';
import { batchJobs } from '../../src-main/cli/batch-command.ts';
import { runCli } from './run-cli.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const MODELS = join(ROOT, 'models');
const DECODE = join(ROOT, 'test/fixtures/decode');

const work = mkdtempSync(join(tmpdir(), 'telltale-batch-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const run = runCli;

/** A corpus: two homes (folders) of real captures, and one capture cut short mid-packet. */
function corpus(): string {
  const dir = join(work, 'corpus');
  mkdirSync(join(dir, 'home-a'), { recursive: true });
  mkdirSync(join(dir, 'home-b'), { recursive: true });
  copyFileSync(join(DECODE, 'xiaobai-camera-setup.pcap'), join(dir, 'home-a/camera.pcap'));
  copyFileSync(join(DECODE, 'xiaodu-plug-setup.pcap'), join(dir, 'home-a/plug.pcap'));
  copyFileSync(join(DECODE, 'tuya-plug-active-1-600.pcap'), join(dir, 'home-b/tuya.pcap'));
  const whole = readFileSync(join(DECODE, 'tuya-plug-active-1-600.pcap'));
  writeFileSync(join(dir, 'home-b/cut.pcap'), whole.subarray(0, Math.floor(whole.length / 2) + 7));
  writeFileSync(join(dir, 'home-b/notes.txt'), 'not a capture');
  return dir;
}

describe('telltale batch', () => {
  const dir = corpus();

  it('audits each capture on worker threads and writes JSON lines and CSV that match the audit', async () => {
    const jsonl = join(work, 'out.jsonl');
    const csv = join(work, 'out.csv');
    const r = await run(['batch', dir, '--models', MODELS, '--jsonl', jsonl, '--csv', csv, '--jobs', '2']);
    expect(r.code).toBe(0);
    expect(r.err).toContain('4 capture(s) on 2 worker thread(s)');
    const results = readFileSync(jsonl, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as BatchResult);
    expect(results.map((x) => x.name.split('/').slice(-2).join('/')).sort()).toEqual([
      'home-a/camera.pcap',
      'home-a/plug.pcap',
      'home-b/cut.pcap',
      'home-b/tuya.pcap',
    ]);
    expect(results.every((x) => x.error === null)).toBe(true);
    // the damaged capture: its packets before the damage audited, the damage reported
    const cut = results.find((x) => x.name.endsWith('cut.pcap'))!;
    expect(cut.packets).toBeGreaterThan(200);
    expect(cut.packets).toBeLessThan(600);
    expect(cut.problems).toHaveLength(1);
    expect(cut.problems[0]).toMatch(/cut\.pcap at byte offset \d+: file ends inside a packet/);
    // the same numbers as the audit of that capture alone
    const camera = results.find((x) => x.name.endsWith('camera.pcap'))!;
    const { audit } = await runHomeAudit([join(dir, 'home-a/camera.pcap')], { modelsDir: MODELS });
    expect(camera.packets).toBe(audit.packets);
    expect(camera.devices.map((d) => d.mac).sort()).toEqual(audit.devices.map((d) => d.mac).sort());
    const isp = audit.observers.find((o) => o.view === 'napt')!;
    expect(camera.observers.find((o) => o.view === 'napt')!.meanRecognisedShare).toBe(
      isp.meanRecognisedShare,
    );
    // devices the catalog rightly recognises, of those the ISP sees
    expect(camera.observers.find((o) => o.view === 'napt')).toMatchObject({
      recognised: isp.devices.filter((r) => rightlyRecognised(r.identity)).length,
      seen: isp.devices.filter((r) => r.identity.packets > 0).length,
    });
    // CSV: the header once, one row per device of each capture
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0].split(',').slice(0, 3)).toEqual(['capture', 'mac', 'name']);
    expect(lines[0]).toContain('napt_in_home_share');
    expect(lines.length - 1).toBe(results.reduce((a, x) => a + x.devices.length, 0));
    expect(r.out).toMatch(/4 of 4 audited/);
  }, 120_000);

  it('audits a folder as one home with --per folder, and shares of the jobs make up the whole', async () => {
    const jsonl = join(work, 'homes.jsonl');
    const r = await run([
      'batch',
      dir,
      '--per',
      'folder',
      '--models',
      MODELS,
      '--jsonl',
      jsonl,
      '--jobs',
      '1',
    ]);
    expect(r.code).toBe(0);
    const homes = readFileSync(jsonl, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as BatchResult);
    expect(homes.map((h) => h.files.length).sort()).toEqual([2, 2]);
    const a = homes.find((h) => h.name.endsWith('home-a'))!;
    expect(a.devices.length).toBeGreaterThanOrEqual(2);
    const options = {
      inputs: [dir],
      per: 'capture' as const,
      labels: null,
      modelsDir: MODELS,
      vpnProfile: undefined,
    };
    const whole = batchJobs({ ...options, shard: null }).map((j) => j.name);
    const shares = [1, 2, 3].flatMap((index) =>
      batchJobs({ ...options, shard: { index, count: 3 } }).map((j) => j.name),
    );
    expect(shares.sort()).toEqual([...whole].sort());
    expect(new Set(shares).size).toBe(whole.length);
  }, 120_000);

  it('refuses what it cannot do with a message that says why', async () => {
    expect((await run(['batch'])).err).toMatch(/needs capture files or folders/);
    expect((await run(['batch', dir, '--per', 'home'])).err).toMatch(
      /--per: "home" is not capture or folder/,
    );
    expect((await run(['batch', dir, '--shard', '4/3'])).err).toMatch(/--shard: "4\/3"/);
    expect((await run(['batch', join(work, 'none')])).err).toMatch(/no such file or folder/);
    const empty = join(work, 'empty');
    mkdirSync(empty, { recursive: true });
    expect((await run(['batch', empty])).err).toMatch(/no capture files/);
  });
});
