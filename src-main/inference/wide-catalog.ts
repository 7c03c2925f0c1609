/**
 * The wider catalog: device kinds of every labelled source in ../shared/datasets (MADEA, IoT
 * Sentinel's devices, the extras), not MADEA alone, for the ISP's view. The bundled ONNX models
 * know the MADEA home's classes; a device they do not recognise is put to this catalog.
 *
 * It names a kind only when three tests pass on the device as a whole (`decideWide`), each
 * measured on devices it never saw (evaluation/wide-catalog-evaluation.ts, leave-one-kind-out and
 * leave-one-dataset-out):
 *   - shape: a random forest over the view's per-packet features gives at least
 *     CATALOG_MIN_SHARE of the device's sampled packets to one kind, and at least
 *     CATALOG_MIN_COVERAGE of them have a (direction, frame size) of that kind's training traffic
 *     — the ONNX catalog's own device-level test;
 *   - names: the device looked up, or opened TLS to, a host name of a site (a registrable domain,
 *     devices/sites.ts) that the kind's training devices used and no other kind did — an ISP sees
 *     the names its resolver answers and the TLS server names. Sites, not host names: a host name
 *     only one kind happened to use in the data (an NTP pool's member, a Google push server) is
 *     no maker's, while a site shared by several kinds' devices (the pool, Google) drops out.
 *     Without a name test the forest named a quarter of the unseen IoT Sentinel devices as a kind
 *     they are not (test/bench/wider-catalog-study.ts).
 * A VPN's carrier sees no names, so there is no wider catalog for the VPN view.
 *
 * The model file (`catalog-wide-napt.json` in the models folder) is written by `npm run eval`
 * with the rates it measured, so the app can say how often such a naming held.
 */
import { CATALOG_MIN_COVERAGE, CATALOG_MIN_PACKETS, CATALOG_MIN_SHARE } from './catalog-test.ts';
import { HistogramForest, type ForestJSON } from './histogram-forest.ts';
import { readOptionalModelFile } from './model-file.ts';
import { siteOf } from '../devices/sites.ts';
import { sizeKey } from './model-manifest.ts';

/** File name of the wider catalog in the models folder. */
export const WIDE_CATALOG_FILE = 'catalog-wide-napt.json';

/**
 * The host names of a device the name test reads, from the names it looked up (unicast DNS
 * questions) and the TLS server names it asked for: lower case without a trailing dot; local
 * (.local) and reverse (.arpa) names and single labels are no one's service and are left out.
 */
export function catalogNames(raw: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const n of raw) {
    const name = n.toLowerCase().replace(/\.$/, '');
    if (name.includes('.') && !name.endsWith('.local') && !name.endsWith('.arpa')) out.add(name);
  }
  return [...out].sort();
}

/** How the catalog's namings held on kinds it never saw, in one dataset. */
export interface WideHeldOut {
  dataset: string;
  instances: number;
  kinds: number;
  /** Instances named as a kind they are not. */
  named: number;
}

/** What `catalog-wide-napt.json` holds. */
export interface WideCatalogFile {
  formatVersion: 1;
  view: 'napt';
  /** The view's feature names (the forest reads them in this order). */
  features: string[];
  /** Kinds in the forest's output order, as a person reads them ("EdimaxCam1 / EdimaxCam2"). */
  kinds: string[];
  /** Per kind, the labels.csv device names it stands for. */
  members: string[][];
  /** Per kind, its training traffic's (direction, frame size) keys (`sizeKey`). */
  profiles: number[][];
  /**
   * Per kind, the sites (devices/sites.ts: registrable domains) its training devices' host names
   * belong to, no other kind's did, and at least half its training instances used (its maker's cloud).
   */
  sites: string[][];
  /** Sampled packets per device the forest reads (training and deciding alike). */
  rowsPerDevice: number;
  /** Where it comes from, in words. */
  trainedOn: string;
  /** Leave-one-kind-out, per dataset. */
  heldOut: WideHeldOut[];
  forest: ForestJSON;
}

/** The wider catalog's answer for one device. */
export interface WideDecision {
  /** The kind named (all three tests passed), or null. */
  kind: string | null;
  /** The forest's top kind, its share of the sampled packets and their coverage by its size profile. */
  top: string | null;
  share: number;
  coverage: number;
  /** Packets the forest read (a sample of `packets`). */
  sampled: number;
  /** The device's host names on the top kind's own sites (the name test passed when there is one). */
  names: string[];
  packets: number;
  /** Leave-one-kind-out, summed over the datasets: unseen instances and how many were named. */
  heldOut: { instances: number; named: number } | null;
}

/**
 * The device-level decision from the forest's answer per sampled packet (`predicted`, kind index),
 * the same packets' (direction, size) keys, the device's host names and its packet count.
 */
export function decideWide(
  file: Pick<WideCatalogFile, 'kinds' | 'profiles' | 'sites'>,
  predicted: ArrayLike<number>,
  keys: ArrayLike<number>,
  hostNames: Iterable<string>,
  packets: number,
  heldOut: WideDecision['heldOut'] = null,
): WideDecision {
  const n = predicted.length;
  const none: WideDecision = {
    kind: null,
    top: null,
    share: 0,
    coverage: 0,
    sampled: 0,
    names: [],
    packets,
    heldOut,
  };
  if (n === 0) return none;
  const votes = new Map<number, number>();
  for (let i = 0; i < n; i++) votes.set(predicted[i], (votes.get(predicted[i]) ?? 0) + 1);
  let top = -1;
  let count = 0;
  for (const [k, c] of votes) if (c > count || (c === count && k < top)) [top, count] = [k, c];
  const profile = new Set(file.profiles[top]);
  let covered = 0;
  for (let i = 0; i < n; i++) if (profile.has(keys[i])) covered++;
  const own = new Set(file.sites[top]);
  const names = [...new Set(hostNames)].filter((h) => own.has(siteOf(h) ?? '')).sort();
  const share = count / n;
  const coverage = covered / n;
  const passed =
    packets >= CATALOG_MIN_PACKETS &&
    share >= CATALOG_MIN_SHARE &&
    coverage >= CATALOG_MIN_COVERAGE &&
    names.length > 0;
  return {
    kind: passed ? file.kinds[top] : null,
    top: file.kinds[top],
    share,
    coverage,
    sampled: n,
    names,
    packets,
    heldOut,
  };
}

/** A loaded wider catalog. */
export class WideCatalog {
  private constructor(
    readonly file: WideCatalogFile,
    readonly forest: HistogramForest,
  ) {}

  static fromFile(file: WideCatalogFile): WideCatalog {
    if (file.formatVersion !== 1)
      throw new Error(`wider catalog: unknown format version ${String(file.formatVersion)}`);
    const forest = HistogramForest.fromJSON(file.forest);
    const k = file.kinds.length;
    if (forest.width !== file.features.length)
      throw new Error(
        `wider catalog: the forest reads ${forest.width} features but the file names ${file.features.length}`,
      );
    if (
      forest.classes !== k ||
      file.members.length !== k ||
      file.profiles.length !== k ||
      file.sites.length !== k
    )
      throw new Error(`wider catalog: the forest has ${forest.classes} kinds but the file describes ${k}`);
    return new WideCatalog(file, forest);
  }

  /** Reads the models folder's file; null when there is none (an install without it). */
  static load(path: string): WideCatalog | null {
    const file = readOptionalModelFile(path);
    return file === null ? null : WideCatalog.fromFile(file as WideCatalogFile);
  }

  /** The kind that stands for a labels.csv device name, or null when the catalog has none. */
  kindOf(device: string): string | null {
    const k = this.file.members.findIndex((m) => m.includes(device));
    return k < 0 ? null : this.file.kinds[k];
  }

  /**
   * The decision for a device from its sampled rows (`features`: rows × the file's features, with
   * their directions and frame sizes), its host names and its packets. Of more rows than
   * `rowsPerDevice`, that many evenly spaced ones are read (a sample in time order stays spread
   * over the whole capture).
   */
  decide(
    features: Float32Array,
    directions: ArrayLike<number>,
    sizes: ArrayLike<number>,
    hostNames: Iterable<string>,
    packets: number,
  ): WideDecision {
    const width = this.file.features.length;
    const m = directions.length;
    const n = Math.min(m, this.file.rowsPerDevice);
    const x = new Float32Array(n * width);
    const keys = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const r = Math.floor((i * m) / n);
      x.set(features.subarray(r * width, (r + 1) * width), i * width);
      keys[i] = sizeKey(directions[r], sizes[r]);
    }
    const predicted = n === 0 ? new Int32Array(0) : this.forest.predict(x, n);
    const h = this.file.heldOut;
    const heldOut =
      h.length === 0
        ? null
        : { instances: h.reduce((a, x) => a + x.instances, 0), named: h.reduce((a, x) => a + x.named, 0) };
    return decideWide(this.file, predicted, keys, catalogNames(hostNames), packets, heldOut);
  }
}
