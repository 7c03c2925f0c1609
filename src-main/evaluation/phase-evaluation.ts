/**
 * Busy detection on the phase-labelled captures of datasets/extras (ground truth and scoring in
 * activity-evaluation.ts, the captures in datasets.ts), run through the same audit pipeline as `telltale analyze`:
 * the device's truth timeline (LAN side) and, with a models folder, the timelines the NAPT and VPN
 * observers infer for it (the class their models give most of its packets, since none of these
 * devices is a class of the bundled models).
 */
import { join } from 'node:path';
import type { ActivityConfig } from '../activity/activity-config.ts';
import { scoreBusyDetection, type BusyDetectionScore, type Coverage } from './activity-evaluation.ts';
import { activityEvaluationCases, type ActivityEvaluationCase } from './datasets.ts';
import type { ActivityTimeline, BusySpan } from '../activity/activity-timeline.ts';
import { GroundTruth } from '../devices/ground-truth.ts';
import type { ModelView } from '../inference/model-manifest.ts';
import { runHomeAudit } from '../audit/home-audit.ts';

export interface ObserverBusyScore extends BusyDetectionScore {
  view: ModelView;
  /** The class whose timeline stands for the device, and the share of its packets so named. */
  className: string | null;
  recognisedShare: number;
  /** Whether the wider catalog recognised it (it learned from these very captures, so that is no test). */
  byWideCatalog: boolean;
  /** State agreement of the observer's timeline with the truth (the activity exposure). */
  agreement: number;
}

export interface CaseActivityScore extends BusyDetectionScore {
  name: string;
  device: string;
  devicePackets: number;
  timeline: ActivityTimeline;
  spans: BusySpan[];
  observers: ObserverBusyScore[];
  /**
   * For logs of single time stamps (the SSI plug): the truth timeline's F1 against action windows
   * of other lengths (WINDOW_VARIANTS), to show how much the 30-s choice matters; empty otherwise.
   */
  windowSensitivity: { actionSeconds: number; f1: number }[];
}

/** Action window lengths, seconds, the truth timeline is also scored against where a log has single time stamps. */
export const WINDOW_VARIANTS: readonly number[] = [10, 5];

/** Runs one case (see the module comment); observers only when `modelsDir` is given. */
export async function evaluateActivityCase(
  datasets: string,
  testCase: ActivityEvaluationCase,
  options: { modelsDir?: string | null; config?: Partial<ActivityConfig> } = {},
): Promise<CaseActivityScore> {
  const groundTruth = GroundTruth.loadSync(join(datasets, testCase.labels));
  if (groundTruth.indexOfLabel(testCase.device) < 0) {
    throw new Error(`${testCase.labels}: no device "${testCase.device}"`);
  }
  const modelsDir = options.modelsDir ?? null;
  const { audit, analysis } = await runHomeAudit(
    testCase.files.map((f) => join(datasets, f)),
    {
      modelsDir: modelsDir ?? undefined,
      observers: modelsDir === null ? [] : ['napt', 'vpn'],
      groundTruth,
      activity: options.config,
    },
  );
  const coverage: Coverage[] = [];
  for (const f of analysis.files)
    if (f.firstTs !== null && f.lastTs !== null) coverage.push({ start: f.firstTs, end: f.lastTs });
  if (coverage.length === 0) throw new Error(`${testCase.name}: no packets`);
  const device = audit.devices.find((d) => d.trueLabel === testCase.device);
  if (device === undefined) throw new Error(`${testCase.name}: ${testCase.device} sent no packets`);
  const starts = analysis.files.map((f) => f.firstTs ?? 0);
  const phases = testCase.phases(datasets, starts);
  const observers: ObserverBusyScore[] = audit.observers.map((o) => {
    const r = o.devices.find((x) => x.mac === device.mac)!;
    const inferred = r.inferred ?? { ...device.truth, segments: [], spans: [] };
    return {
      view: o.view,
      className: r.identity.className,
      recognisedShare: r.identity.recognisedShare,
      byWideCatalog: r.identity.recognisedBy === 'wide',
      agreement: r.activity.agreement,
      ...scoreBusyDetection(inferred, phases, coverage),
    };
  });
  return {
    name: testCase.name,
    device: testCase.device,
    devicePackets: device.packets,
    timeline: device.truth,
    spans: device.truth.spans,
    observers,
    windowSensitivity:
      testCase.phasesWithWindow === undefined
        ? []
        : WINDOW_VARIANTS.map((actionSeconds) => ({
            actionSeconds,
            f1: scoreBusyDetection(
              device.truth,
              testCase.phasesWithWindow!(datasets, starts, actionSeconds),
              coverage,
            ).f1,
          })),
    ...scoreBusyDetection(device.truth, phases, coverage),
  };
}

/** Every evaluation case, in order. */
export async function evaluateActivity(
  datasets: string,
  options: { modelsDir?: string | null; config?: Partial<ActivityConfig> } = {},
): Promise<CaseActivityScore[]> {
  const out: CaseActivityScore[] = [];
  for (const c of activityEvaluationCases(datasets))
    out.push(await evaluateActivityCase(datasets, c, options));
  return out;
}
