/**
 * The device-category model: what kind of device (camera, plug, hub …) an observer takes a device
 * for, from hourly summaries of its own packets in the observer's view (features/device-summary.ts),
 * with "none of these" when the evidence is weak. It is what lets Telltale say "looks like a
 * camera" about a device no catalog class stands for — and only when that was measured to hold on
 * devices the model never saw (evaluation/category-evaluation.ts: leave-one-device-out and
 * leave-one-dataset-out over every labelled source in ../shared/datasets).
 *
 * Decision (`decideCategory`): the mean over the device's chunks of the forest's probabilities;
 * its top category when that mean reaches the model's threshold (chosen leave-one-dataset-out so
 * that unseen devices are given a wrong category rarely) and the device has at least
 * CATEGORY_MIN_PACKETS packets; otherwise none.
 *
 * The model file (`category-<view>.json` in the models folder) holds the forest
 * (HistogramForest.toJSON), the summary's feature names, the categories and the threshold, written
 * by `telltale train-category`.
 */
import { CATEGORY_MIN_PACKETS, DEVICE_CATEGORIES, type DeviceCategory } from '../shared/device-categories.ts';
import { HistogramForest, type ForestJSON } from './histogram-forest.ts';
import { readOptionalModelFile } from './model-file.ts';

/** A device-level answer: the category, or null ("none of these"), with the evidence behind it. */
export interface CategoryDecision {
  category: DeviceCategory | null;
  /** Top category and its mean probability over the chunks (also when below the threshold). */
  top: DeviceCategory | null;
  probability: number;
  chunks: number;
  packets: number;
  /** The model's threshold, and how its answers held on devices it never saw (summed over datasets). */
  threshold: number;
  heldOut: { instances: number; right: number; wrong: number } | null;
}

/**
 * The device-level decision from its chunks' probabilities (chunks × categories, row-major).
 */
export function decideCategory(
  probs: Float32Array,
  chunks: number,
  packets: number,
  threshold: number,
  categories: readonly DeviceCategory[] = DEVICE_CATEGORIES,
  heldOut: CategoryDecision['heldOut'] = null,
): CategoryDecision {
  const k = categories.length;
  if (chunks === 0) return { category: null, top: null, probability: 0, chunks, packets, threshold, heldOut };
  const mean = new Float64Array(k);
  for (let r = 0; r < chunks; r++) for (let c = 0; c < k; c++) mean[c] += probs[r * k + c] / chunks;
  let best = 0;
  for (let c = 1; c < k; c++) if (mean[c] > mean[best]) best = c;
  const decided = packets >= CATEGORY_MIN_PACKETS && mean[best] >= threshold;
  return {
    category: decided ? categories[best] : null,
    top: categories[best],
    probability: mean[best],
    chunks,
    packets,
    threshold,
    heldOut,
  };
}

/** File name of a view's category model in the models folder. */
export function categoryModelFileName(view: string): string {
  return `category-${view}.json`;
}

/** How a model's answers held on devices it never saw (leave-one-device-out, at its threshold). */
export interface CategoryHeldOut {
  dataset: string;
  instances: number;
  devices: number;
  right: number;
  none: number;
  wrong: number;
}

/** What `category-<view>.json` holds. */
export interface CategoryModelFile {
  formatVersion: 1;
  view: string;
  features: string[];
  categories: DeviceCategory[];
  threshold: number;
  /** Where the numbers come from, in words (datasets, devices, the threshold's rule). */
  trainedOn: string;
  heldOut: CategoryHeldOut[];
  forest: ForestJSON;
}

/** A loaded category model. */
export class CategoryModel {
  private constructor(
    readonly file: CategoryModelFile,
    readonly forest: HistogramForest,
  ) {}

  static fromFile(file: CategoryModelFile): CategoryModel {
    if (file.formatVersion !== 1)
      throw new Error(`category model: unknown format version ${String(file.formatVersion)}`);
    const forest = HistogramForest.fromJSON(file.forest);
    if (forest.width !== file.features.length)
      throw new Error(
        `category model: the forest reads ${forest.width} features but the file names ${file.features.length}`,
      );
    if (forest.classes !== file.categories.length)
      throw new Error(
        `category model: the forest has ${forest.classes} classes but the file names ${file.categories.length}`,
      );
    return new CategoryModel(file, forest);
  }

  /** Reads a model file; null when there is none (an install without category models). */
  static load(path: string): CategoryModel | null {
    const file = readOptionalModelFile(path);
    return file === null ? null : CategoryModel.fromFile(file as CategoryModelFile);
  }

  /** The device-level decision for summaries (chunks × features, row-major). */
  decide(summaries: Float32Array, chunks: number, packets: number): CategoryDecision {
    const probs = chunks === 0 ? new Float32Array(0) : this.forest.predictProba(summaries, chunks);
    const h = this.file.heldOut;
    const heldOut =
      h.length === 0
        ? null
        : {
            instances: h.reduce((a, x) => a + x.instances, 0),
            right: h.reduce((a, x) => a + x.right, 0),
            wrong: h.reduce((a, x) => a + x.wrong, 0),
          };
    return decideCategory(probs, chunks, packets, this.file.threshold, this.file.categories, heldOut);
  }
}
