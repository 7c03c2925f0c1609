/**
 * The models' evaluation on the validation split: the data built exactly as the training recipe
 * builds it (a feature dataset per observer view over every MADEA capture), split by the
 * manifest's time block, and each model run through the runtime's own windowing, stitching and
 * flow pooling, then scored.
 */
import { join } from 'node:path';
import type { AnalysisProgress } from '../audit/capture-analysis.ts';
import { DeviceIdentifier } from '../inference/device-identifier.ts';
import {
  loadManifest,
  type ModelEntry,
  type ModelManifest,
  type ModelView,
} from '../inference/model-manifest.ts';
import { defenceId, type Defence } from '../views/defences.ts';
import type { TunnelProfileName } from '../views/tunnel-profiles.ts';
import { EvaluationInputError, madeaCaptures } from './datasets.ts';
import { writeFeatureDataset } from './feature-dataset.ts';
import {
  classificationMetrics,
  unknownRuleMetrics,
  type ClassificationMetrics,
  type UnknownRuleMetrics,
} from './metrics.ts';
import {
  modelTruth,
  readDataset,
  Split,
  splitRows,
  type DatasetColumns,
  type SplitRows,
} from './validation-split.ts';

/** The split's block length; a manifest without one cannot be evaluated against its split. */
export function manifestBlockSeconds(manifest: ModelManifest): number {
  if (manifest.blockSeconds === null) {
    throw new EvaluationInputError(
      `${manifest.path}: split.blockSeconds is missing, so the validation split is unknown`,
    );
  }
  return manifest.blockSeconds;
}

/** The contract's validation data of one view. */
export interface ViewValidation {
  view: ModelView;
  dataset: DatasetColumns;
  validation: SplitRows;
}

/**
 * Writes the feature dataset of each view into `workDir/<view>` (as the training recipe does) and
 * gathers the validation rows. `onProgress` hears how the reading goes.
 */
export async function buildValidationData(
  datasetsDir: string,
  workDir: string,
  views: readonly ModelView[],
  blockSeconds: number,
  onProgress?: (view: ModelView, p: AnalysisProgress) => void,
  vpnProfile?: TunnelProfileName,
  defence: Defence | null = null,
): Promise<Map<ModelView, ViewValidation>> {
  const { captures, labels } = madeaCaptures(datasetsDir);
  const out = new Map<ModelView, ViewValidation>();
  for (const view of views) {
    const dir = join(workDir, defence === null ? view : `${view}-${defenceId(defence)}`);
    const written = await writeFeatureDataset(
      { captures, labels, view, out: dir, vpnProfile, defence },
      (p) => onProgress?.(view, p),
    );
    const unreadable = written.analysis.files.filter((f) => f.packets === 0 && f.errors.some((e) => e.fatal));
    if (unreadable.length > 0)
      throw new EvaluationInputError(
        `${unreadable.length} MADEA capture(s) could not be read at all: ${unreadable.map((f) => f.path).join(', ')}`,
      );
    const dataset = readDataset(dir);
    out.set(view, { view, dataset, validation: splitRows(dataset, Split.VALIDATION, blockSeconds) });
  }
  return out;
}

export interface ModelEvaluation {
  model: ModelEntry;
  /** What the app does: stitched windows, then flow pooling where the model asks for it. */
  metrics: ClassificationMetrics;
  /** Before flow pooling (the paper's per-packet setting); null when the model does not pool. */
  perPacket: ClassificationMetrics | null;
  unknown: UnknownRuleMetrics;
  seconds: number;
}

/** Runs one model over its view's validation rows and scores it as the contract says. */
export async function evaluateModel(
  modelsDir: string,
  model: ModelEntry,
  data: ViewValidation,
): Promise<ModelEvaluation> {
  const manifest = loadManifest(modelsDir);
  const identifier = await DeviceIdentifier.openModel(manifest, model);
  const t0 = process.hrtime.bigint();
  try {
    const v = data.validation;
    const pools = model.pooling !== null;
    const stitched = await identifier.labelRuns(v.features, v.rowIndex.length, v.runLengths, pools);
    const labels = pools ? identifier.poolFlows(stitched, v.flow, v.runLengths) : stitched;
    const truth = modelTruth(data.dataset.labels, model, v.label);
    return {
      model,
      metrics: classificationMetrics(model.labels, truth, labels.bestIndex),
      perPacket: pools ? classificationMetrics(model.labels, truth, stitched.bestIndex) : null,
      unknown: unknownRuleMetrics(model.labels.length, truth, labels.labelIndex),
      seconds: Number(process.hrtime.bigint() - t0) / 1e9,
    };
  } finally {
    await identifier.close();
  }
}
