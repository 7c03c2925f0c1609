/**
 * The wider catalog (inference/wide-catalog.ts) trained on every labelled source and measured on
 * devices it never saw; `npm run eval` writes the shipped `models/catalog-wide-napt.json`.
 *
 * Data: read once with the device-category study (category-evaluation.ts `gatherCategoryData`):
 * the same runs and instances (a device in one MADEA day, in one IoT Sentinel setup file, in one
 * extras file), each IoT device's own NAPT packets (tunnel messages and devices of no IoT
 * category left out) as a uniform sample of at most WIDE_ROWS rows, and the host names it showed
 * on the LAN in that instance (DNS questions, TLS server names: what the ISP's resolver and the
 * TLS handshakes show of it).
 *
 * Kinds: units of one model (EdimaxCam1 and EdimaxCam2) and devices that share a MAC are one kind,
 * as in the category study; so are the classes the bundled NAPT model merges (its labelMembers:
 * the HBN plug and the Lumiman bulb, one Tuya firmware).
 *
 * Measured:
 *   - leave-one-kind-out: for each kind, a catalog trained on every other kind judges its
 *     instances — any naming is of a kind it is not;
 *   - leave-one-dataset-out: a catalog trained on the other two datasets judges each dataset;
 *   - known kinds: each kind's instances in turn train and test (first, third … train; second,
 *     fourth … test; a kind with one instance trains only): recognised as its own kind.
 * Instances with fewer packets than the test asks for (CATALOG_MIN_PACKETS) are left out of both
 * training and the rates. Every threshold is the ONNX catalog's own (inference/catalog-test.ts);
 * the name test adds one number, SITE_MIN_SHARE, set by reasoning after two simpler rules had been
 * scored (models/MODEL_CARD.md) and not varied.
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { CATALOG_MIN_PACKETS } from '../inference/catalog-test.ts';
import { HistogramForest, type ForestOptions } from '../inference/histogram-forest.ts';
import { sizeKey } from '../inference/model-manifest.ts';
import {
  decideWide,
  WIDE_CATALOG_FILE,
  type WideCatalogFile,
  type WideHeldOut,
} from '../inference/wide-catalog.ts';
import type { ViewLog } from '../audit/view-log.ts';
import { siteOf } from '../devices/sites.ts';
import { mulberry32 } from '../views/seeded-random.ts';
import type { CategoryDataset } from './category-evaluation.ts';

/**
 * A site is a kind's own only when at least this share of the kind's training instances used it
 * (and no other kind's did): a maker's cloud is asked for in nearly every session, a site one
 * session happened to visit (an app's analytics, a public API) is no sign of the maker.
 */
export const SITE_MIN_SHARE = 0.5;
/** The target: an unseen device is named as a specific other device in at most this share of cases. */
export const WIDE_TARGET_NAMED = 0.05;
/** Sampled NAPT packets per instance (training and deciding alike). */
export const WIDE_ROWS = 300;
/** The wider catalog's forest. */
export const WIDE_FOREST: ForestOptions = { trees: 30, maxDepth: 12, minLeaf: 5, seed: 3 };
/** A (direction, size) pair is in a kind's profile when at least this share of its training packets have it. */
export const PROFILE_MIN_SHARE = 0.001;

/** Who a row's device is, for the sampler. */
export interface WideRowOwner {
  dataset: CategoryDataset;
  device: string;
  /** The category study's unit: units of one model, devices sharing a MAC. */
  unit: string;
  instance: string;
  /** Its host names as an audit keeps them (`catalogNames`). */
  names: readonly string[];
}

/** One device in one instance: its sampled rows. */
export interface WideInstance {
  dataset: CategoryDataset;
  device: string;
  unit: string;
  instance: string;
  packets: number;
  /** rows × width, row-major. */
  x: number[];
  keys: number[];
  names: string[];
}

/** Keeps each instance's uniform sample of rows (Algorithm R, seeded: the same data, the same sample). */
export class WideSampler {
  readonly instances = new Map<string, WideInstance>();
  width = 0;
  features: string[] = [];
  private readonly random = mulberry32(0x3a11ce);

  constructor(readonly rows = WIDE_ROWS) {}

  /** Adds rows of a NAPT log (one device's, in time order); `owner` says whose instance each is. */
  add(log: ViewLog, rows: readonly number[], owner: (row: number) => WideRowOwner): void {
    const w = log.width;
    this.width = w;
    this.features = [...log.extractor.names];
    for (const row of rows) {
      const o = owner(row);
      let inst = this.instances.get(o.instance);
      if (inst === undefined) {
        inst = { ...o, packets: 0, x: [], keys: [], names: [...o.names] };
        this.instances.set(o.instance, inst);
      }
      inst.packets++;
      const slot = inst.packets <= this.rows ? inst.packets - 1 : Math.floor(this.random() * inst.packets);
      if (slot >= this.rows) continue;
      const values = log.features.subarray(row * w, (row + 1) * w);
      const key = sizeKey(log.direction[row], log.size[row]);
      if (slot === inst.keys.length) {
        for (const v of values) inst.x.push(v);
        inst.keys.push(key);
      } else {
        for (let j = 0; j < w; j++) inst.x[slot * w + j] = values[j];
        inst.keys[slot] = key;
      }
    }
  }
}

/** A trained catalog (the shipped file's parts). */
type Catalog = Pick<WideCatalogFile, 'kinds' | 'members' | 'profiles' | 'sites'> & {
  forest: HistogramForest;
};

/** The kind of each instance: its unit, merged as the bundled model merges classes. */
export function kindsOf(
  instances: readonly WideInstance[],
  merged: Readonly<Record<string, readonly string[]>>,
): Map<string, string> {
  const mergedOf = new Map<string, string>();
  for (const [name, members] of Object.entries(merged)) for (const m of members) mergedOf.set(m, name);
  const devicesOfUnit = new Map<string, Set<string>>();
  for (const i of instances) {
    let set = devicesOfUnit.get(i.unit);
    if (set === undefined) devicesOfUnit.set(i.unit, (set = new Set()));
    set.add(i.device);
  }
  const out = new Map<string, string>();
  for (const i of instances)
    out.set(i.instance, mergedOf.get(i.device) ?? [...devicesOfUnit.get(i.unit)!].sort().join(' / '));
  return out;
}

function trainCatalog(
  train: readonly WideInstance[],
  kindOf: ReadonlyMap<string, string>,
  width: number,
): Catalog {
  const kinds = [...new Set(train.map((i) => kindOf.get(i.instance)!))].sort();
  const index = new Map(kinds.map((k, j) => [k, j]));
  const rows = train.reduce((a, i) => a + i.keys.length, 0);
  const x = new Float32Array(rows * width);
  const y = new Int32Array(rows);
  const pairs = kinds.map(() => new Map<number, number>());
  const members = kinds.map(() => new Set<string>());
  const kindsOfSite = new Map<string, Set<number>>();
  let r = 0;
  for (const inst of train) {
    const k = index.get(kindOf.get(inst.instance)!)!;
    members[k].add(inst.device);
    x.set(inst.x, r * width);
    for (let j = 0; j < inst.keys.length; j++) {
      y[r + j] = k;
      pairs[k].set(inst.keys[j], (pairs[k].get(inst.keys[j]) ?? 0) + 1);
    }
    r += inst.keys.length;
    for (const n of inst.names) {
      const site = siteOf(n);
      if (site === null) continue;
      let set = kindsOfSite.get(site);
      if (set === undefined) kindsOfSite.set(site, (set = new Set()));
      set.add(k);
    }
  }
  const profiles = pairs.map((m) => {
    const total = [...m.values()].reduce((a, b) => a + b, 0);
    return [...m]
      .filter(([, n]) => n / total >= PROFILE_MIN_SHARE)
      .map(([key]) => key)
      .sort((a, b) => a - b);
  });
  const sites = kinds.map(() => [] as string[]);
  for (const [site, ks] of [...kindsOfSite].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (ks.size !== 1) continue;
    const k = [...ks][0];
    const mine = train.filter((i) => index.get(kindOf.get(i.instance)!) === k);
    const using = mine.filter((i) => i.names.some((n) => siteOf(n) === site)).length;
    if (using >= SITE_MIN_SHARE * mine.length) sites[k].push(site);
  }
  return {
    kinds,
    members: members.map((m) => [...m].sort()),
    profiles,
    sites,
    forest: HistogramForest.train(x, rows, width, y, kinds.length, WIDE_FOREST),
  };
}

/** The catalog's answer for an instance: the kind named, or null. */
function answer(c: Catalog, inst: WideInstance, width: number): string | null {
  const n = inst.keys.length;
  if (n === 0) return null;
  const predicted = c.forest.predict(Float32Array.from(inst.x.slice(0, n * width)), n);
  return decideWide(c, predicted, inst.keys, inst.names, inst.packets).kind;
}

/** One dataset's leave-out answers. */
export interface WideUnseenRow {
  dataset: CategoryDataset;
  instances: number;
  kinds: number;
  /** Named as a kind it is not. */
  named: number;
  /** Which kinds were named as what, and how often. */
  pairs: { kind: string; as: string; instances: number }[];
}

export interface WideKnownRow {
  dataset: CategoryDataset;
  instances: number;
  kinds: number;
  recognised: number;
  /** Named as another kind. */
  wrong: number;
}

export interface WideCatalogEvaluation {
  instances: number;
  kinds: number;
  kindsPerDataset: Record<CategoryDataset, number>;
  withNames: number;
  /** Kinds of the shipped catalog with no site of their own (never named). */
  kindsWithoutSites: number;
  leaveOneKindOut: WideUnseenRow[];
  leaveOneDatasetOut: WideUnseenRow[];
  known: WideKnownRow[];
  seconds: number;
  /** The file written (absolute path). */
  written: string;
}

const DATASETS: readonly CategoryDataset[] = ['madea', 'iot-sentinel', 'extras'];

function unseenRows(
  judged: readonly { inst: WideInstance; as: string | null }[],
  kindOf: ReadonlyMap<string, string>,
): WideUnseenRow[] {
  return DATASETS.flatMap((dataset) => {
    const mine = judged.filter((j) => j.inst.dataset === dataset);
    if (mine.length === 0) return [];
    const pairs = new Map<string, number>();
    for (const j of mine)
      if (j.as !== null) {
        const key = `${kindOf.get(j.inst.instance)!}\u0000${j.as}`;
        pairs.set(key, (pairs.get(key) ?? 0) + 1);
      }
    return [
      {
        dataset,
        instances: mine.length,
        kinds: new Set(mine.map((j) => kindOf.get(j.inst.instance))).size,
        named: mine.filter((j) => j.as !== null).length,
        pairs: [...pairs]
          .map(([key, instances]) => {
            const [kind, as] = key.split('\u0000');
            return { kind, as, instances };
          })
          .sort((a, b) => b.instances - a.instances || (a.kind < b.kind ? -1 : 1)),
      },
    ];
  });
}

/**
 * Measures the catalog on the sampler's instances and writes the shipped file (trained on them
 * all) into `modelsDir`; deterministic.
 */
export function runWideCatalogStudy(
  sampler: WideSampler,
  merged: Readonly<Record<string, readonly string[]>>,
  modelsDir: string,
): WideCatalogEvaluation {
  const t0 = Date.now();
  const width = sampler.width;
  // a device that sent fewer packets than the test asks for is never named: no instance of either side
  const all = [...sampler.instances.values()].filter((i) => i.packets >= CATALOG_MIN_PACKETS);
  const kindOf = kindsOf(all, merged);
  const kinds = [...new Set(kindOf.values())].sort();
  // leave one kind out
  const loko: { inst: WideInstance; as: string | null }[] = [];
  for (const kind of kinds) {
    const train = all.filter((i) => kindOf.get(i.instance) !== kind);
    if (train.length === 0) continue;
    const c = trainCatalog(train, kindOf, width);
    for (const inst of all.filter((i) => kindOf.get(i.instance) === kind))
      loko.push({ inst, as: answer(c, inst, width) });
  }
  // leave one dataset out
  const lodso: { inst: WideInstance; as: string | null }[] = [];
  for (const dataset of DATASETS) {
    const train = all.filter((i) => i.dataset !== dataset);
    const test = all.filter((i) => i.dataset === dataset);
    if (train.length === 0 || test.length === 0) continue;
    const c = trainCatalog(train, kindOf, width);
    for (const inst of test) {
      const as = answer(c, inst, width);
      // a kind seen in another dataset too is known there, not unseen: its own name is no error
      lodso.push({ inst, as: as === kindOf.get(inst.instance) ? null : as });
    }
  }
  // known kinds: alternate instances of each kind train and test
  const order = new Map<string, number>();
  const train: WideInstance[] = [];
  const test: WideInstance[] = [];
  for (const inst of all) {
    const kind = kindOf.get(inst.instance)!;
    const k = order.get(kind) ?? 0;
    order.set(kind, k + 1);
    (k % 2 === 0 ? train : test).push(inst);
  }
  const knownCatalog = trainCatalog(train, kindOf, width);
  const known: WideKnownRow[] = DATASETS.flatMap((dataset) => {
    const mine = test.filter((i) => i.dataset === dataset);
    if (mine.length === 0) return [];
    const answers = mine.map((i) => ({ own: kindOf.get(i.instance)!, as: answer(knownCatalog, i, width) }));
    return [
      {
        dataset,
        instances: mine.length,
        kinds: new Set(answers.map((a) => a.own)).size,
        recognised: answers.filter((a) => a.as === a.own).length,
        wrong: answers.filter((a) => a.as !== null && a.as !== a.own).length,
      },
    ];
  });
  const leaveOneKindOut = unseenRows(loko, kindOf);
  const shipped = trainCatalog(all, kindOf, width);
  const kindsPerDataset = { madea: 0, 'iot-sentinel': 0, extras: 0 };
  for (const d of DATASETS)
    kindsPerDataset[d] = new Set(all.filter((i) => i.dataset === d).map((i) => kindOf.get(i.instance))).size;
  const heldOut: WideHeldOut[] = leaveOneKindOut.map((r) => ({
    dataset: r.dataset,
    instances: r.instances,
    kinds: r.kinds,
    named: r.named,
  }));
  const file: WideCatalogFile = {
    formatVersion: 1,
    view: 'napt',
    features: sampler.features,
    kinds: shipped.kinds,
    members: shipped.members,
    profiles: shipped.profiles,
    sites: shipped.sites,
    rowsPerDevice: sampler.rows,
    trainedOn:
      `${all.length} instances of ${kinds.length} kinds (MADEA ${kindsPerDataset.madea}, IoT Sentinel ` +
      `${kindsPerDataset['iot-sentinel']}, extras ${kindsPerDataset.extras}); at most ${sampler.rows} ` +
      `sampled NAPT packets each`,
    heldOut,
    forest: shipped.forest.toJSON(),
  };
  const written = join(modelsDir, WIDE_CATALOG_FILE);
  writeFileSync(written, `${JSON.stringify(file)}\n`);
  return {
    instances: all.length,
    kinds: kinds.length,
    kindsPerDataset,
    withNames: all.filter((i) => i.names.length > 0).length,
    kindsWithoutSites: shipped.sites.filter((x) => x.length === 0).length,
    leaveOneKindOut,
    leaveOneDatasetOut: unseenRows(lodso, kindOf),
    known,
    seconds: (Date.now() - t0) / 1000,
    written,
  };
}
