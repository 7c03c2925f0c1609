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
import { readFileSync } from 'node:fs';
import { HistogramForest, type ForestJSON } from './histogram-forest.ts';

/** Every category, in the model's output order (the list; "phone/computer" is not IoT). */
export const DEVICE_CATEGORIES = [
  'camera',
  'plug/switch',
  'bulb/light',
  'lock',
  'hub/bridge',
  'sensor',
  'thermostat',
  'sprinkler',
  'vacuum',
  'speaker',
  'appliance',
  'phone/computer',
] as const;
export type DeviceCategory = (typeof DEVICE_CATEGORIES)[number];

/** Fewest packets of a device in a view before any category is given (as the catalog's test). */
export const CATEGORY_MIN_PACKETS = 20;

/** labels.csv categories (MADEA, extras) in the model's words. */
const LABEL_CATEGORY: Readonly<Record<string, DeviceCategory>> = {
  camera: 'camera',
  doorbell: 'camera',
  plug: 'plug/switch',
  switch: 'plug/switch',
  bulb: 'bulb/light',
  light: 'bulb/light',
  lamp: 'bulb/light',
  lock: 'lock',
  hub: 'hub/bridge',
  bridge: 'hub/bridge',
  gateway: 'hub/bridge',
  sensor: 'sensor',
  'smoke-detector': 'sensor',
  thermostat: 'thermostat',
  sprinkler: 'sprinkler',
  'robot-vacuum': 'vacuum',
  vacuum: 'vacuum',
  speaker: 'speaker',
  appliance: 'appliance',
  'non-iot:phone': 'phone/computer',
  'non-iot:computer': 'phone/computer',
  'non-iot:laptop': 'phone/computer',
};

/**
 * IoT Sentinel's labels.csv has no category column: each device's kind from its name (the
 * products in Miettinen et al., ICDCS 2017, table I). D-LinkDoorSensor and HueSwitch share their
 * hub's MAC — what the wire shows is the hub, so they are hubs here. The scales, the kettle and
 * the coffee machine are appliances; the siren is one of D-Link's home-security sensors.
 */
export const IOT_SENTINEL_CATEGORIES: Readonly<Record<string, DeviceCategory>> = {
  Aria: 'appliance',
  'D-LinkCam': 'camera',
  'D-LinkDayCam': 'camera',
  'D-LinkDoorSensor': 'hub/bridge',
  'D-LinkHomeHub': 'hub/bridge',
  'D-LinkSensor': 'sensor',
  'D-LinkSiren': 'sensor',
  'D-LinkSwitch': 'plug/switch',
  'D-LinkWaterSensor': 'sensor',
  EdimaxCam1: 'camera',
  EdimaxCam2: 'camera',
  EdimaxPlug1101W: 'plug/switch',
  EdimaxPlug2101W: 'plug/switch',
  EdnetCam1: 'camera',
  EdnetCam2: 'camera',
  EdnetGateway: 'hub/bridge',
  HomeMaticPlug: 'plug/switch',
  HueBridge: 'hub/bridge',
  HueSwitch: 'hub/bridge',
  Lightify: 'hub/bridge',
  MAXGateway: 'hub/bridge',
  SmarterCoffee: 'appliance',
  'TP-LinkPlugHS100': 'plug/switch',
  'TP-LinkPlugHS110': 'plug/switch',
  WeMoInsightSwitch: 'plug/switch',
  WeMoInsightSwitch2: 'plug/switch',
  WeMoLink: 'hub/bridge',
  WeMoSwitch: 'plug/switch',
  WeMoSwitch2: 'plug/switch',
  Withings: 'appliance',
  iKettle2: 'appliance',
};

/** A labelled device's category: from labels.csv's category, else IoT Sentinel's table; null when neither says. */
export function categoryOfLabel(category: string | null, device: string): DeviceCategory | null {
  const c = category?.trim().toLowerCase() ?? '';
  if (c !== '' && LABEL_CATEGORY[c] !== undefined) return LABEL_CATEGORY[c];
  return IOT_SENTINEL_CATEGORIES[device] ?? null;
}

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
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    return CategoryModel.fromFile(JSON.parse(text) as CategoryModelFile);
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
