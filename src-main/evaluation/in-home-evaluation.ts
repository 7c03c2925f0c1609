/**
 * The observer trained on your own home (audit/in-home-observer.ts) measured on every dataset, as
 * the audit measures it: each home's captures (datasets.ts `inHomeCases`: each MADEA monitoring
 * day, the IoT Sentinel setups merged into one home, each extras set) go through `runHomeAudit`
 * with labels.csv, and each observer's `inHome` result is kept with the home's device names.
 */
import { join } from 'node:path';
import { runHomeAudit } from '../audit/home-audit.ts';
import type { InHomeObserver } from '../audit/audit-types.ts';
import { GroundTruth } from '../devices/ground-truth.ts';
import type { ModelView } from '../inference/model-manifest.ts';
import type { TunnelProfileName } from '../views/tunnel-profiles.ts';
import { inHomeCases, type InHomeCase } from './datasets.ts';

/** The home whose devices the report lists one by one. */
export const IN_HOME_DETAIL_CASE = 'MADEA 2023-06-13';

export interface InHomeCaseResult {
  dataset: InHomeCase['dataset'];
  name: string;
  files: number;
  packets: number;
  /** The audit's home devices (MAC, and the labels.csv device or the inventory's name). */
  devices: { mac: string; name: string }[];
  observers: { view: ModelView; inHome: InHomeObserver | null }[];
  /** Wall-clock seconds of the whole audit of the home (reading, both models, both observers). */
  seconds: number;
}

export interface InHomeEvaluation {
  cases: InHomeCaseResult[];
  /** Which datasets were there to read. */
  datasets: InHomeCase['dataset'][];
}

/** One home and view, summed up for the report. */
export interface InHomeSummary {
  devices: number;
  measured: number;
  /** Not measured: too little traffic on one side of the split. */
  tooLittle: number;
  /** Not measured: the only device with enough traffic, no other to tell it from. */
  noOther: number;
  meanShare: number | null;
  /** Mean over measured devices with scored flows of their per-flow share; null when none has flows. */
  meanPerFlow: number | null;
  kinds: { names: string[]; share: number; perFlow: number | null }[];
  trainRows: number;
  testRows: number;
  seconds: number;
}

export function inHomeSummary(c: InHomeCaseResult, view: ModelView): InHomeSummary | null {
  const o = c.observers.find((x) => x.view === view)?.inHome ?? null;
  if (o === null) return null;
  const nameOf = new Map(c.devices.map((d) => [d.mac, d.name]));
  const measured = o.devices.filter((d) => d.measured);
  const flows = measured.filter((d) => d.perFlow !== null).map((d) => d.perFlow!);
  return {
    devices: o.devices.length,
    measured: measured.length,
    tooLittle: o.devices.filter((d) => !d.measured && d.unmeasured !== 'no-other-device').length,
    noOther: o.devices.filter((d) => d.unmeasured === 'no-other-device').length,
    meanShare: o.meanRecognisedShare,
    meanPerFlow: flows.length === 0 ? null : flows.reduce((a, b) => a + b, 0) / flows.length,
    kinds: o.kinds.map((k) => ({
      names: k.macs.map((m) => nameOf.get(m) ?? m),
      share: k.recognisedShare,
      perFlow: k.perFlow,
    })),
    trainRows: o.trainRows,
    testRows: o.testRows,
    seconds: o.seconds,
  };
}

/** Measures every home there is (see the module comment); `note` hears each home's result. */
export async function evaluateInHome(options: {
  modelsDir: string;
  datasetsDir: string;
  vpnProfile: TunnelProfileName | undefined;
  note?: (text: string) => void;
}): Promise<InHomeEvaluation> {
  const cases = inHomeCases(options.datasetsDir);
  const out: InHomeCaseResult[] = [];
  for (const c of cases) {
    const t0 = Date.now();
    const { audit } = await runHomeAudit(
      c.files.map((f) => join(options.datasetsDir, f)),
      {
        modelsDir: options.modelsDir,
        groundTruth: GroundTruth.loadSync(join(options.datasetsDir, c.labels)),
        observers: ['napt', 'vpn'],
        vpnProfile: options.vpnProfile,
      },
    );
    const result: InHomeCaseResult = {
      dataset: c.dataset,
      name: c.name,
      files: c.files.length,
      packets: audit.packets,
      devices: audit.devices.map((d) => ({ mac: d.mac, name: d.trueLabel ?? d.name })),
      observers: audit.observers.map((o) => ({ view: o.view, inHome: o.inHome })),
      seconds: (Date.now() - t0) / 1000,
    };
    options.note?.(
      `  ${c.name}: ${result.observers
        .map((o) => {
          const s = inHomeSummary(result, o.view);
          return `${o.view} ${s === null || s.meanShare === null ? '-' : s.meanShare.toFixed(3)} (${s?.measured ?? 0}/${s?.devices ?? 0} devices)`;
        })
        .join(', ')} in ${result.seconds.toFixed(1)} s\n`,
    );
    out.push(result);
  }
  return { cases: out, datasets: [...new Set(cases.map((c) => c.dataset))] };
}
