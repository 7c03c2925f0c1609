/**
 * The privacy audit of a home from capture files: which devices there are, when each slept and
 * worked (the truth, from the LAN side), and what each outside observer can still tell — which
 * device each of its packets belongs to (identity exposure) and when each device was busy
 * (activity exposure) — with and without traffic defences. The CLI (`telltale analyze
 * --activity --findings`), the app and the report all read this one structure.
 *
 * One pass reads the captures through the LAN view and every observer view: the LAN packets give
 * each device's truth timeline (keyed by MAC, so no labels are needed), each observer view's
 * packets are labelled by that observer's default model, and the observer's timelines are built
 * per predicted class — what the observer can attribute to "a Nest camera". A device's activity
 * exposure compares its truth timeline with the observer's timeline of the class the device is
 * (from labels.csv when given, else the class the model gives most of its packets). Each defence
 * what-if is one more pass through one observer view with the defence applied.
 */
import { DeviceIdentifier } from '../inference/device-identifier.ts';
import type { ModelView } from '../inference/model-manifest.ts';
import { AuditCollector } from './audit-collector.ts';
import type { AuditOptions, AuditRun } from './audit-types.ts';
import { analyzeCaptures, type AnalysisProgress } from './capture-analysis.ts';

/** Opens the default model of every observer (before any long read, so a broken model is reported at once). */
export async function openObserverModels(
  modelsDir: string | undefined,
  observers: readonly ModelView[],
): Promise<Map<ModelView, DeviceIdentifier>> {
  const identifiers = new Map<ModelView, DeviceIdentifier>();
  try {
    for (const view of observers) {
      if (modelsDir === undefined) throw new Error('observers need a models folder');
      identifiers.set(view, await DeviceIdentifier.open(modelsDir, view));
    }
  } catch (error) {
    for (const identifier of identifiers.values()) await identifier.close();
    throw error;
  }
  return identifiers;
}

/** Runs the audit of capture files (see the module comment). */
export async function runHomeAudit(paths: readonly string[], options: AuditOptions): Promise<AuditRun> {
  const observers = options.observers ?? (['napt', 'vpn'] as const);
  const identifiers = await openObserverModels(options.modelsDir, observers);
  try {
    const collector = new AuditCollector(observers, options.activity);
    const analysis = await analyzeCaptures(paths, {
      groundTruth: options.groundTruth ?? null,
      views: collector.views,
      viewOptions: { profile: options.vpnProfile },
      ...collector.hooks(identifiers),
      onProgress: (p: AnalysisProgress) => {
        options.onProgress?.({ stage: 'reading captures', fraction: p.fraction, packets: p.packets });
      },
    });
    const defences = options.defences ?? [];
    const audit = await collector.finish(
      analysis,
      identifiers,
      defences.length === 0 ? null : { paths, defences, options },
      options.onProgress,
    );
    return { audit, analysis };
  } finally {
    for (const identifier of identifiers.values()) await identifier.close();
  }
}
