/**
 * The privacy audit end to end on real captures: `telltale analyze --activity --findings` on the
 * committed SSI Tuya plug fixture with the bundled models (timelines, exposures, findings and
 * what-ifs in the text and the JSON), and the audit on one capture of every dataset folder in
 * ../shared/datasets (skipped when absent). Skipped, saying why, without bundled models.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ActivityTimeline } from '../../src-main/activity/activity-timeline.ts';
import { main } from '../../src-main/cli/telltale.ts';
import { GroundTruth } from '../../src-main/devices/ground-truth.ts';
import { type HomeAudit } from '../../src-main/audit/audit-types.ts';
import { runHomeAudit } from '../../src-main/audit/home-audit.ts';
import { auditFindings, type Finding } from '../../src-main/findings/findings.ts';
import { SEVERITIES } from '../../src-main/shared/audit-types.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const MODELS = join(ROOT, 'models');
const DATASETS = resolve(ROOT, '../shared/datasets');
const TUYA = join(ROOT, 'test/fixtures/decode/tuya-plug-active-1-600.pcap');
const TUYA_LABELS = join(ROOT, 'test/fixtures/labels/ssi-tuya-plug.csv');
const haveModels = existsSync(join(MODELS, 'manifest.json'));
if (!haveModels) console.warn('audit tests skipped: no bundled models (run the training recipe)');

const work = mkdtempSync(join(tmpdir(), 'telltale-audit-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function expectWholeTimeline(t: ActivityTimeline): void {
  expect(t.segments.length).toBeGreaterThan(0);
  for (let i = 1; i < t.segments.length; i++) {
    expect(t.segments[i].start).toBe(t.segments[i - 1].end);
    expect(t.segments[i].state).not.toBe(t.segments[i - 1].state);
  }
}

function expectSoundAudit(audit: HomeAudit, findings: Finding[]): void {
  expect(audit.devices.length).toBeGreaterThan(0);
  for (const d of audit.devices) {
    if (d.packets > 0) expectWholeTimeline(d.truth);
    // every device gets at least one finding (a quiet one says so)
    expect(findings.some((f) => f.device === d.mac)).toBe(true);
  }
  for (const o of audit.observers) {
    expect(o.devices.map((r) => r.mac)).toEqual(audit.devices.map((d) => d.mac));
    for (const r of o.devices) {
      for (const v of [r.identity.recognisedShare, r.identity.unknownShare, r.activity.agreement]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
    }
  }
  for (const f of findings) {
    expect(SEVERITIES).toContain(f.severity);
    expect(f.title.length).toBeGreaterThan(20);
    expect(f.advice.length).toBeGreaterThan(10);
  }
}

describe.skipIf(!haveModels)('telltale analyze --activity --findings', () => {
  it('prints timelines, exposures, findings and what-ifs, and writes them all to JSON', async () => {
    const json = join(work, 'audit.json');
    let out = '';
    const code = await main(
      [
        'analyze',
        TUYA,
        '--labels',
        TUYA_LABELS,
        '--activity',
        '--findings',
        '--what-if',
        'pad-16,pad-mtu,cover-2pps',
        '--json',
        json,
      ],
      {
        stdout: (t) => {
          out += t;
        },
        stderr: () => undefined,
      },
    );
    expect(code).toBe(0);
    expect(out).toMatch(/Activity timelines, 2022-06-25T17:25 to /);
    expect(out).toMatch(/Tuya Smart Power Plug \(38:1f:8d:b0:c9:01\)\n {2}truth {2}\|[#\-. ]{72}\| busy /);
    expect(out).toMatch(/\n {2}NAPT {3}\|[#\-. ]{72}\|/);
    expect(out).toMatch(/\n {2}VPN {4}\|[#\-. ]{72}\|/);
    expect(out).toContain("What Telltale's catalog recognises");
    expect(out).toContain('The observer trained on your own home');
    expect(out).toMatch(/Findings \(\d+\)/);
    expect(out).toContain('Defence what-ifs');
    const doc = JSON.parse(readFileSync(json, 'utf8')) as { audit: HomeAudit; findings: Finding[] };
    expectSoundAudit(doc.audit, doc.findings);
    expect(doc.audit.observers.map((o) => o.view)).toEqual(['napt', 'vpn']);
    // every observer was trained on this home too, and says for each device what it could measure
    for (const o of doc.audit.observers) {
      expect(o.inHome?.devices.map((d) => d.mac).sort()).toEqual(doc.audit.devices.map((d) => d.mac).sort());
      for (const d of o.inHome!.devices) expect(d.measured).toBe(d.recognisedShare !== null);
    }
    expect(doc.audit.whatIfs.map((w) => w.id)).toEqual([
      'napt-pad-16',
      'napt-pad-mtu',
      'napt-cover-2pps',
      'vpn-pad-16',
      'vpn-pad-mtu',
      'vpn-cover-2pps',
    ]);
    const cost = Object.fromEntries(doc.audit.whatIfs.map((w) => [w.id, w.costShare]));
    expect(cost['napt-pad-16']).toBeGreaterThan(0);
    expect(cost['napt-pad-mtu']).toBeGreaterThan(cost['napt-pad-16']);
    expect(doc.audit.whatIfs.find((w) => w.id === 'vpn-cover-2pps')!.dummyPackets).toBeGreaterThan(0);
    // padding every packet to one size leaves a per-packet model nothing to tell devices apart by
    const mtu = doc.audit.whatIfs.find((w) => w.id === 'vpn-pad-mtu')!;
    const base = doc.audit.observers.find((o) => o.view === 'vpn')!;
    expect(mtu.meanRecognisedShare).toBeLessThanOrEqual(base.meanRecognisedShare);
    expect(doc.findings.filter((f) => f.kind === 'defence')).toHaveLength(6);
    // every device's what-if rows say how much of its busy time the observer still sees, and the
    // device's findings name a measured defence rather than a rule of thumb
    const recalls = doc.audit.whatIfs.flatMap((w) => w.devices.map((r) => r.busyRecall));
    expect(recalls.length).toBeGreaterThan(0);
    expect(recalls.every((x) => x >= 0 && x <= 1)).toBe(true);
    // (identity findings name one only where the catalog recognises the device: the what-ifs
    // measure the catalog's recognition, not the in-home observer's)
    const plugFindings = doc.findings.filter(
      (f) =>
        f.kind === 'activity' || (f.kind === 'identity' && f.evidence[0].startsWith('Catalog: recognised')),
    );
    expect(plugFindings.length).toBeGreaterThan(0);
    for (const f of plugFindings)
      // a measured defence within twice the traffic is named, whether or not it helps this device
      expect(f.advice).toMatch(
        /(Of the defences tried within twice your traffic, |within twice your traffic .*with the best of them, )(padding|cover)/,
      );
  });

  it('rejects a defence it does not know, naming the forms it takes', async () => {
    let err = '';
    const code = await main(['analyze', TUYA, '--findings', '--what-if', 'pad-3000'], {
      stdout: () => undefined,
      stderr: (t) => {
        err += t;
      },
    });
    expect(code).toBe(1);
    expect(err).toMatch(/--what-if: unknown defence "pad-3000" \(pad-N/);
  });
});

/** One capture (the smallest) of each dataset folder that has a labels.csv. */
function sampleCaptures(): { name: string; capture: string; labels: string }[] {
  if (!existsSync(DATASETS)) return [];
  const out: { name: string; capture: string; labels: string }[] = [];
  const walk = (dir: string, labels: string | null, name: string): void => {
    const here = existsSync(join(dir, 'labels.csv')) ? join(dir, 'labels.csv') : labels;
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    const captures = entries.filter((e) => e.isFile() && /\.(pcap|pcapng|cap)(\.gz)?$/.test(e.name));
    if (captures.length > 0 && here !== null && !out.some((o) => o.name === name)) {
      out.push({ name, capture: join(dir, captures[0].name), labels: here });
    }
    for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name), here, name);
  };
  for (const top of readdirSync(DATASETS, { withFileTypes: true })) {
    if (!top.isDirectory()) continue;
    if (top.name === 'extras') {
      for (const sub of readdirSync(join(DATASETS, top.name), { withFileTypes: true }))
        if (sub.isDirectory()) walk(join(DATASETS, top.name, sub.name), null, `extras/${sub.name}`);
    } else walk(join(DATASETS, top.name), null, top.name);
  }
  return out;
}

const samples = haveModels ? sampleCaptures() : [];
describe.skipIf(samples.length === 0)('audit on a capture of every dataset', () => {
  it.each(samples.map((s) => [s.name, s] as const))(
    '%s',
    async (_name, s) => {
      const { audit } = await runHomeAudit([s.capture], {
        modelsDir: MODELS,
        groundTruth: GroundTruth.loadSync(s.labels),
        defences: [{ kind: 'padding', multiple: 64 }],
      });
      expectSoundAudit(audit, auditFindings(audit));
      expect(audit.whatIfs).toHaveLength(2);
    },
    120_000,
  );
});
