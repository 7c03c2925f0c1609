/**
 * `npx tsx test/bench/wider-catalog-study.ts [--rows N] [--trees N] [--share S] [--coverage C] [--outliers F] [--names M] [--no-madea-0613]`
 *
 * A feasibility study for issue 12's wider catalog (the device-name catalog trained on every
 * labelled source, not MADEA alone), before anyone spends the recipe's hour retraining the ONNX
 * models: with a per-packet random forest (the in-home observer's HistogramForest) on the NAPT
 * view's features and the catalog's own device-level test (at least CATALOG_MIN_PACKETS packets,
 * CATALOG_MIN_SHARE of them given one class, CATALOG_MIN_COVERAGE of them with a (direction, size)
 * of that class's training traffic), how do a MADEA-only catalog and an every-source catalog
 * compare on
 *   - devices they never saw: leave-one-kind-out (a kind: units of one model, IoT Sentinel's
 *     EdimaxCam1/2; MADEA's HBN plug and Lumiman bulb, one Tuya firmware) — how often an unseen
 *     kind's instance is named as a class it is not;
 *   - devices they know: instances split alternately (even ones train, odd ones test), recognised
 *     as their own kind.
 * Instances as the evaluation cuts them: a MADEA day, an IoT Sentinel setup file, an extras set.
 * Each instance keeps a uniform sample of at most `--rows` of its NAPT packets (default 600).
 * `--names M` adds a name test: named only when the instance asked DNS for, or opened TLS to, a
 * host name that the kind's training instances used and at most M kinds used (an ISP sees the
 * names its resolver answers and the TLS server names; a VPN carrier sees neither). It prints
 * which unseen kinds were named as what.
 * `--outliers F` tries outlier exposure: in every catalog a seeded share F of its training kinds is
 * held back as one "none of these" class, which names nothing (those kinds cannot be recognised
 * either, which the known-device figure then shows).
 * The forest is a stand-in for the ONNX models (the shipped NAPT default is a BiLSTM + forest
 * mixture), so the figures say where the test's open-set behaviour goes as classes are added, not
 * what the retrained catalog will score.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AuditCollector } from '../../src-main/audit/audit-collector.ts';
import { analyzeCaptures } from '../../src-main/audit/capture-analysis.ts';
import {
  CATALOG_MIN_COVERAGE,
  CATALOG_MIN_PACKETS,
  CATALOG_MIN_SHARE,
} from '../../src-main/audit/exposure.ts';
import { GroundTruth } from '../../src-main/devices/ground-truth.ts';
import { madeaCaptures, madeaDay, unseenCaptureSets } from '../../src-main/evaluation/datasets.ts';
import { HistogramForest } from '../../src-main/inference/histogram-forest.ts';
import { mulberry32 } from '../../src-main/views/seeded-random.ts';

const DATASETS = resolve(import.meta.dirname, '../../../shared/datasets');
const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '600' },
    trees: { type: 'string', default: '40' },
    share: { type: 'string', default: String(CATALOG_MIN_SHARE) },
    coverage: { type: 'string', default: String(CATALOG_MIN_COVERAGE) },
    outliers: { type: 'string', default: '0' },
    names: { type: 'string', default: '' },
    'no-madea-0613': { type: 'boolean', default: false },
  },
});
const ROWS = Number(values.rows);
const TREES = Number(values.trees);
/** The device-level test's share and coverage (the catalog's own by default; others to see where they lead). */
const SHARE = Number(values.share);
const COVERAGE = Number(values.coverage);
const OUTLIERS = Number(values.outliers);
/**
 * `--names M`: the name test — an instance is named as a kind only when it looks up or opens TLS
 * to at least one name the kind's training instances used that at most M kinds used (names many
 * kinds use, NTP pools and connectivity checks, say nothing of which kind). Empty: no name test.
 */
const NAMES_MAX_KINDS = values.names === '' ? 0 : Number(values.names);
/** The "none of these" class of outlier exposure. */
const OTHER = '(none of these)';
/** Twins of the catalog (models/manifest.json labelMembers): one kind. */
const TWINS: Record<string, string> = { 'HBN Plug': 'Tuya twins', 'Lumiman Bulb': 'Tuya twins' };

type Dataset = 'madea' | 'iot-sentinel' | 'extras';
interface Instance {
  dataset: Dataset;
  kind: string;
  id: string;
  packets: number;
  x: number[];
  size: number[];
  dir: number[];
  /** Host names it looked up (DNS questions) or named in a TLS ClientHello. */
  names: Set<string>;
}

const instances = new Map<string, Instance>();
let width = 0;

/** Reads one run through the audit's first pass and keeps each labelled IoT device's sampled rows per instance. */
async function gather(
  dataset: Dataset,
  files: string[],
  labels: string,
  only: string | null,
  instanceOf: (file: number) => string,
  perFile: boolean,
): Promise<void> {
  const truth = GroundTruth.loadSync(labels);
  const collector = new AuditCollector(['napt']);
  collector.measureInHome = false;
  const hooks = collector.hooks();
  const fileOfRow: number[] = [];
  /** Names per home MAC and instance of the file. */
  const namesOf = new Map<string, Set<string>>();
  await analyzeCaptures(files, {
    groundTruth: truth,
    views: collector.views,
    segmentGapSeconds: perFile ? -1 : undefined,
    onPacket: hooks.onPacket,
    onSegmentStart: hooks.onSegmentStart,
    onViewPacket: (view, vp) => {
      hooks.onViewPacket(view, vp);
      if (view === 'napt') fileOfRow.push(vp.fileIndex);
      const h = vp.inner?.hints;
      if (view === 'lan' && h != null && vp.inner!.srcMac !== null) {
        const found = [
          ...(h.dns !== undefined && !h.dns.response ? h.dns.questions : []),
          ...(h.sni !== undefined ? [h.sni] : []),
        ]
          .map((n) => n.toLowerCase().replace(/\.$/, ''))
          .filter((n) => n.includes('.') && !n.endsWith('.local') && !n.endsWith('.arpa'));
        if (found.length > 0) {
          const key = `${vp.inner!.srcMac}|${instanceOf(vp.fileIndex)}`;
          let set = namesOf.get(key);
          if (set === undefined) namesOf.set(key, (set = new Set()));
          for (const n of found) set.add(n);
        }
      }
    },
  });
  const log = collector.logs.get('napt')!;
  width = log.width;
  const kindOfIndex = log.macs.map((mac) => {
    const e = truth.entryOf(mac);
    if (e === undefined || e.infrastructure || e.category.startsWith('NON-IOT')) return null;
    const names = [e.device, ...e.aliases];
    if (only !== null && !names.includes(only)) return null;
    const device = only ?? e.device;
    return TWINS[device] ?? (dataset === 'iot-sentinel' ? device.replace(/\d+$/, '') : device);
  });
  const seen = new Map<string, number>();
  const random = mulberry32(7);
  for (let i = 0; i < log.rows; i++) {
    const d = log.device[i];
    if (d < 0 || log.tunnel[i] === 1) continue;
    const kind = kindOfIndex[d];
    if (kind == null) continue;
    const key = `${dataset}|${kind}|${instanceOf(fileOfRow[i])}`;
    let inst = instances.get(key);
    if (inst === undefined) {
      inst = {
        dataset,
        kind,
        id: key,
        packets: 0,
        x: [],
        size: [],
        dir: [],
        names: namesOf.get(`${log.macs[d]}|${instanceOf(fileOfRow[i])}`) ?? new Set(),
      };
      instances.set(key, inst);
    }
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    inst.packets = n;
    // reservoir sample of ROWS rows
    const slot = n <= ROWS ? n - 1 : Math.floor(random() * n);
    if (slot >= ROWS) continue;
    const row = Array.from(log.features.subarray(i * width, (i + 1) * width));
    if (slot === inst.size.length) {
      inst.x.push(...row);
      inst.size.push(log.size[i]);
      inst.dir.push(log.direction[i]);
    } else {
      inst.x.splice(slot * width, width, ...row);
      inst.size[slot] = log.size[i];
      inst.dir[slot] = log.direction[i];
    }
  }
}

interface Catalog {
  forest: HistogramForest;
  kinds: string[];
  profiles: Set<number>[];
  /** Each kind's share of packets per (direction, size) key. */
  mixes: Map<number, number>[];
  /** Each kind's specific names (used by at most NAMES_MAX_KINDS kinds of its training). */
  names: Set<string>[];
}

/** A forest over the kinds of `train` (every row of each instance), with each kind's size profile. */
function trainCatalog(train: readonly Instance[], seed = 1): Catalog {
  const own = [...new Set(train.map((i) => i.kind))].sort();
  // outlier exposure: a seeded share of the kinds becomes one class that names nothing
  const random = mulberry32(seed);
  const held = new Set(OUTLIERS > 0 ? own.filter(() => random() < OUTLIERS) : []);
  const kinds = [...own.filter((k) => !held.has(k)), ...(held.size > 0 ? [OTHER] : [])];
  const index = new Map(kinds.map((k, j) => [k, j]));
  for (const k of held) index.set(k, kinds.length - 1);
  const rows = train.reduce((a, i) => a + i.size.length, 0);
  const x = new Float32Array(rows * width);
  const y = new Int32Array(rows);
  const pairCounts = kinds.map(() => new Map<number, number>());
  let r = 0;
  for (const inst of train) {
    const k = index.get(inst.kind)!;
    x.set(inst.x, r * width);
    for (let j = 0; j < inst.size.length; j++) {
      y[r + j] = k;
      const key = inst.dir[j] * 65536 + inst.size[j];
      pairCounts[k].set(key, (pairCounts[k].get(key) ?? 0) + 1);
    }
    r += inst.size.length;
  }
  const mixes = pairCounts.map((m) => {
    const total = [...m.values()].reduce((a, b) => a + b, 0);
    return new Map([...m].map(([key, n]) => [key, n / total]));
  });
  const profiles = pairCounts.map((m) => {
    const total = [...m.values()].reduce((a, b) => a + b, 0);
    return new Set([...m].filter(([, n]) => n / total >= 0.001).map(([key]) => key));
  });
  const kindsOfName = new Map<string, Set<number>>();
  for (const inst of train)
    for (const n of inst.names) {
      let set = kindsOfName.get(n);
      if (set === undefined) kindsOfName.set(n, (set = new Set()));
      set.add(index.get(inst.kind)!);
    }
  const names = kinds.map(() => new Set<string>());
  for (const [n, ks] of kindsOfName) if (ks.size <= NAMES_MAX_KINDS) for (const k of ks) names[k].add(n);
  return {
    names,
    forest: HistogramForest.train(x, rows, width, y, kinds.length, { trees: TREES, seed: 3 }),
    kinds,
    profiles,
    mixes,
  };
}

/** Jensen–Shannon divergence (bits, 0–1) between two distributions over the same keys. */
function jsd(p: ReadonlyMap<number, number>, q: ReadonlyMap<number, number>): number {
  let d = 0;
  for (const key of new Set([...p.keys(), ...q.keys()])) {
    const a = p.get(key) ?? 0;
    const b = q.get(key) ?? 0;
    const m = (a + b) / 2;
    if (a > 0) d += 0.5 * a * Math.log2(a / m);
    if (b > 0) d += 0.5 * b * Math.log2(b / m);
  }
  return d;
}

/**
 * The forest's top kind for an instance with its share, and how far the instance's size mix is
 * from that kind's (Jensen–Shannon); null top when its share is under the test's.
 */
function distance(c: Catalog, inst: Instance): { top: string | null; jsd: number } {
  const n = inst.size.length;
  if (inst.packets < CATALOG_MIN_PACKETS || n === 0) return { top: null, jsd: 1 };
  const pred = c.forest.predict(Float32Array.from(inst.x), n);
  const votes = new Map<number, number>();
  for (const p of pred) votes.set(p, (votes.get(p) ?? 0) + 1);
  const [top, count] = [...votes].sort((a, b) => b[1] - a[1])[0];
  if (count / n < SHARE || c.kinds[top] === OTHER) return { top: null, jsd: 1 };
  const mix = new Map<number, number>();
  for (let j = 0; j < n; j++) {
    const key = inst.dir[j] * 65536 + inst.size[j];
    mix.set(key, (mix.get(key) ?? 0) + 1 / n);
  }
  return { top: c.kinds[top], jsd: jsd(mix, c.mixes[top]) };
}

/** The catalog's device-level answer for an instance: the kind it names, or null. */
function named(c: Catalog, inst: Instance): string | null {
  const n = inst.size.length;
  if (inst.packets < CATALOG_MIN_PACKETS || n === 0) return null;
  const pred = c.forest.predict(Float32Array.from(inst.x), n);
  const votes = new Map<number, number>();
  for (const p of pred) votes.set(p, (votes.get(p) ?? 0) + 1);
  const [top, count] = [...votes].sort((a, b) => b[1] - a[1])[0];
  if (count / n < SHARE) return null;
  let covered = 0;
  for (let j = 0; j < n; j++) if (c.profiles[top].has(inst.dir[j] * 65536 + inst.size[j])) covered++;
  if (NAMES_MAX_KINDS > 0 && ![...inst.names].some((name) => c.names[top].has(name))) return null;
  return covered / n >= COVERAGE && c.kinds[top] !== OTHER ? c.kinds[top] : null;
}

const pct = (a: number, b: number): string =>
  b === 0 ? '-' : `${a} / ${b} (${((100 * a) / b).toFixed(1)} %)`;

async function main(): Promise<void> {
  const t0 = Date.now();
  const madea = madeaCaptures(DATASETS);
  const days = new Map<string, string[]>();
  for (const f of madea.captures) {
    const day = madeaDay(f);
    if (day === null || (values['no-madea-0613'] && day === '2023-06-13')) continue;
    days.set(day, [...(days.get(day) ?? []), f]);
  }
  for (const [day, files] of days) await gather('madea', files, madea.labels, null, () => day, false);
  for (const s of unseenCaptureSets(DATASETS)) {
    const files = s.files.map((f) => join(DATASETS, f));
    const perFile = s.dataset === 'iot-sentinel';
    await gather(
      s.dataset,
      files,
      join(DATASETS, s.labels),
      s.device,
      (f) => (perFile ? `${f}` : s.name),
      perFile,
    );
  }
  const all = [...instances.values()].filter((i) => i.packets >= CATALOG_MIN_PACKETS);
  const datasets: Dataset[] = ['madea', 'iot-sentinel', 'extras'];
  const kindsOf = (d: Dataset) => new Set(all.filter((i) => i.dataset === d).map((i) => i.kind)).size;
  console.log(
    `${all.length} instances of ${new Set(all.map((i) => i.kind)).size} kinds (MADEA ${kindsOf('madea')}, ` +
      `IoT Sentinel ${kindsOf('iot-sentinel')}, extras ${kindsOf('extras')}); at most ${ROWS} rows each; ` +
      `${TREES} trees; test: share ${SHARE}, coverage ${COVERAGE}; outliers ${OUTLIERS}; name test ${NAMES_MAX_KINDS > 0 ? `names of at most ${NAMES_MAX_KINDS} kinds` : 'off'}; instances with names ${all.filter((i) => i.names.size > 0).length}; read in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`,
  );

  // today's catalog: MADEA's kinds only, judged on every other dataset's instances (all unseen)
  const madeaOnly = trainCatalog(all.filter((i) => i.dataset === 'madea'));
  // leave one kind out, every source
  const wrongLoko = new Map<Dataset, [number, number]>(datasets.map((d) => [d, [0, 0]]));
  const unseenDistances: { dataset: Dataset; top: string | null; jsd: number }[] = [];
  const wrongPairs = new Map<string, number>();
  const kinds = [...new Set(all.map((i) => i.kind))].sort();
  for (const kind of kinds) {
    const c = trainCatalog(
      all.filter((i) => i.kind !== kind),
      kinds.indexOf(kind) + 1,
    );
    for (const inst of all.filter((i) => i.kind === kind)) {
      const t = wrongLoko.get(inst.dataset)!;
      t[1]++;
      const answer = named(c, inst);
      if (answer !== null) {
        t[0]++;
        const pair = `${inst.kind} → ${answer}`;
        wrongPairs.set(pair, (wrongPairs.get(pair) ?? 0) + 1);
      }
      unseenDistances.push({ dataset: inst.dataset, ...distance(c, inst) });
    }
  }
  // known kinds: alternate instances of each kind train and test (kinds with one instance train only)
  const order = new Map<string, number>();
  const train: Instance[] = [];
  const test: Instance[] = [];
  for (const inst of all) {
    const k = order.get(inst.kind) ?? 0;
    order.set(inst.kind, k + 1);
    (k % 2 === 0 ? train : test).push(inst);
  }
  const wide = trainCatalog(train);
  const madeaTrain = trainCatalog(train.filter((i) => i.dataset === 'madea'));
  console.log(
    'dataset       | MADEA-only catalog: unseen named | every source, kind left out: named | known (odd instances): recognised as own kind, MADEA-only / every source',
  );
  for (const d of datasets) {
    const unseen = all.filter((i) => i.dataset === d);
    const today =
      d === 'madea'
        ? '(its own kinds)'
        : pct(unseen.filter((i) => named(madeaOnly, i) !== null).length, unseen.length);
    const [w, n] = wrongLoko.get(d)!;
    const known = test.filter((i) => i.dataset === d);
    const ownMadea = known.filter((i) => named(madeaTrain, i) === i.kind).length;
    const ownWide = known.filter((i) => named(wide, i) === i.kind).length;
    console.log(
      `${d.padEnd(13)} | ${today.padEnd(32)} | ${pct(w, n).padEnd(35)} | ${pct(ownMadea, known.length)} / ${pct(ownWide, known.length)}`,
    );
  }
  console.log('\nunseen kinds named, as what (instances):');
  for (const [pair, n] of [...wrongPairs].sort((a, b) => b[1] - a[1])) console.log(`  ${pair}: ${n}`);
  // a distribution test instead of the coverage test: named when the size mix is within T of the kind's
  const knownDistances = test.map((i) => ({ dataset: i.dataset, own: i.kind, ...distance(wide, i) }));
  console.log('\nevery source, named only when the size mix is within T (Jensen–Shannon) of the kind named:');
  console.log('T     | unseen named: MADEA, IoT Sentinel, extras | known recognised: MADEA, IoT Sentinel');
  for (const t of [0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5]) {
    const u = (d: Dataset) => {
      const list = unseenDistances.filter((x) => x.dataset === d);
      return pct(list.filter((x) => x.top !== null && x.jsd <= t).length, list.length);
    };
    const k = (d: Dataset) => {
      const list = knownDistances.filter((x) => x.dataset === d);
      return pct(list.filter((x) => x.top === x.own && x.jsd <= t).length, list.length);
    };
    console.log(
      `${t.toFixed(2)}  | ${u('madea')}, ${u('iot-sentinel')}, ${u('extras')} | ${k('madea')}, ${k('iot-sentinel')}`,
    );
  }
  console.log(`\n${((Date.now() - t0) / 1000).toFixed(0)} s in all`);
}

await main();
