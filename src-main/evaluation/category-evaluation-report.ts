/**
 * The device-category section of models/EVALUATION.md (category-evaluation.ts): every number and
 * rule is read from the results and the module's constants, never typed in.
 */
import { CATEGORY_MIN_PACKETS } from '../shared/device-categories.ts';
import { SUMMARY_CHUNK_SECONDS, SUMMARY_MIN_CHUNK_PACKETS } from '../features/device-summary.ts';
import {
  CALIBRATION_WRONG_RATE,
  CATEGORY_FOREST,
  CATEGORY_TARGET,
  type CategoryDataset,
  type CategoryStudy,
  type DatasetCategoryResult,
} from './category-evaluation.ts';
import { CATALOG_MIN_COVERAGE, CATALOG_MIN_PACKETS, CATALOG_MIN_SHARE } from '../inference/catalog-test.ts';
import { WIDE_CATALOG_FILE } from '../inference/wide-catalog.ts';
import { pct, table } from './markdown.ts';
import { SITE_MIN_SHARE, WIDE_FOREST, WIDE_ROWS, WIDE_TARGET_NAMED } from './wide-catalog-evaluation.ts';

const DATASET_NAMES: Readonly<Record<CategoryDataset, string>> = {
  madea: 'MADEA',
  'iot-sentinel': 'IoT Sentinel',
  extras: 'extras',
};

function row(view: string, scheme: string, r: DatasetCategoryResult): string[] {
  const s = r.rates;
  return [
    view,
    scheme,
    DATASET_NAMES[r.dataset],
    `${s.instances} (${s.devices})`,
    r.threshold.toFixed(2),
    `${s.right} (${pct(s.named)})`,
    String(s.none),
    `${s.wrong} (${pct(s.wrongRate)})`,
    `${pct(s.success)} ${s.success >= CATEGORY_TARGET ? 'met' : 'not met'}`,
  ];
}

export function categorySection(study: CategoryStudy | null): string {
  const lines = ['## Device categories: what kind of device, for devices no model saw', ''];
  if (study === null || study.views.length === 0) {
    lines.push('No labelled datasets: not evaluated, and no category model was written.', '');
    return lines.join('\n');
  }
  lines.push(
    'When the catalog does not recognise a device, can an observer still tell what kind of device it is? ' +
      "The category model (src-main/inference/device-category.ts) reads hourly summaries of a device's own packets " +
      `in the observer's view (features/device-summary.ts: chunks of at most ${SUMMARY_CHUNK_SECONDS / 60} min with at ` +
      `least ${SUMMARY_MIN_CHUNK_PACKETS} packets; size mix, direction, ports and protocols where the view shows them, ` +
      'rate, gaps between its own packets, how repetitive its sizes are) with a random forest ' +
      `(${CATEGORY_FOREST.trees} trees, depth ${CATEGORY_FOREST.maxDepth}, balanced classes), pools a device's chunks ` +
      `and names a category only when the pooled probability reaches the threshold and the device sent at least ` +
      `${CATEGORY_MIN_PACKETS} packets; otherwise it says "none of these".`,
    '',
    'Trained and tested on every labelled source: MADEA (each day one instance per device), IoT Sentinel (each ' +
      'setup file one instance) and the extras (each file one instance). **Leave-one-device-out**: each kind of ' +
      'device (units of one model, and devices sharing a MAC, count as one kind) is judged by a forest that never ' +
      'saw it. **Leave-one-dataset-out**: each dataset is judged by a forest trained on the other two. The ' +
      'threshold is the least at which each calibration dataset has at most ' +
      `${pct(CALIBRATION_WRONG_RATE)} of its instances given a wrong category; each row's threshold was chosen on ` +
      'the other datasets only. Target (issue 12): an unseen device is called "none" or given its right category ' +
      `at least ${pct(CATEGORY_TARGET)} of the time.`,
    '',
  );
  const rows: string[][] = [];
  for (const v of study.views) {
    for (const r of v.leaveOneDeviceOut) rows.push(row(v.view.toUpperCase(), 'device out', r));
    for (const r of v.leaveOneDatasetOut) rows.push(row(v.view.toUpperCase(), 'dataset out', r));
  }
  lines.push(
    table(
      [
        'view',
        'held out',
        'dataset',
        'instances (devices)',
        'threshold',
        'right category',
        'none',
        'wrong category',
        'right or none',
      ],
      rows,
      [3, 4, 5, 6, 7, 8],
    ),
    '',
  );
  // which devices the rows under the target got wrong (leave-one-device-out keeps its instances)
  const under: string[] = [];
  for (const v of study.views)
    for (const r of v.leaveOneDeviceOut) {
      if (r.rates.success >= CATEGORY_TARGET) continue;
      const wrong = new Map<string, number>();
      for (const i of v.instances)
        if (i.dataset === r.dataset && i.probability >= r.threshold && i.top !== i.category) {
          const key = `${i.device} as ${i.top}`;
          wrong.set(key, (wrong.get(key) ?? 0) + 1);
        }
      const list = [...wrong].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      under.push(
        `${v.view.toUpperCase()} device out, ${DATASET_NAMES[r.dataset]}: ${list.map(([k, n]) => `${k} (${n})`).join(', ')}`,
      );
    }
  if (under.length > 0) lines.push(`Wrong answers in the rows under the target: ${under.join('; ')}.`, '');
  for (const v of study.views) {
    const confusion = v.confusion
      .map(
        (c) =>
          `${c.category}: ${Object.entries(c.answers)
            .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
            .map(([a, n]) => `${a} ${n}`)
            .join(', ')}`,
      )
      .join('; ');
    const named = v.instances.filter((i) => i.probability >= v.threshold);
    lines.push(
      `${v.view.toUpperCase()}: the shipped model (threshold ${v.threshold.toFixed(2)}, chosen on all three datasets; ` +
        `${v.chunks} chunks) answers, leave-one-device-out, by true category — ${confusion}. It names a category for ` +
        `${named.length} of ${v.instances.length} instances, of ${new Set(named.map((i) => i.device)).size} devices.`,
      '',
    );
  }
  lines.push(
    "What this means: from traffic alone, the kind of a device of a lab's own making does not carry over to " +
      "another lab's devices — the datasets differ in what they hold (IoT Sentinel only setups, MADEA a home " +
      'living its days) and most categories come from one dataset only. So the app says "looks like a …" only ' +
      'for the few answers this test found reliable and otherwise "not recognised"; the in-home observer\'s figure ' +
      '(above) is the measure of what an observer with labelled traffic of your own devices could do.',
    '',
  );
  return lines.join('\n');
}

/** The share a/b as "a / b (x %)". */
function ofAll(a: number, b: number): string {
  return b === 0 ? '-' : `${a} / ${b} (${pct(a / b)})`;
}

/** The wider catalog's section of models/EVALUATION.md (wide-catalog-evaluation.ts). */
export function wideCatalogSection(study: CategoryStudy | null): string {
  const lines = ['## The wider catalog: kinds of every labelled source, for the ISP', ''];
  const w = study?.wide ?? null;
  if (w === null) {
    lines.push('No labelled datasets: not evaluated, and no wider catalog was written.', '');
    return lines.join('\n');
  }
  const k = w.kindsPerDataset;
  lines.push(
    "The bundled ONNX models know the MADEA home's devices only. A device they do not recognise is put to the " +
      `wider catalog (src-main/inference/wide-catalog.ts, models/${WIDE_CATALOG_FILE}): ${w.kinds} kinds from every ` +
      `labelled source (MADEA ${k.madea}, IoT Sentinel ${k['iot-sentinel']}, extras ${k.extras}; units of one model, ` +
      'devices sharing a MAC and the classes the bundled NAPT model merges are one kind). A random forest ' +
      `(${WIDE_FOREST.trees} trees, depth ${WIDE_FOREST.maxDepth}) over the NAPT view's per-packet features reads at most ` +
      `${WIDE_ROWS} of a device's packets, sampled evenly. It names a kind only when the catalog's device-level test ` +
      `passes (at least ${CATALOG_MIN_PACKETS} packets, at least ${pct(CATALOG_MIN_SHARE)} of the sample given one kind, ` +
      `at least ${pct(CATALOG_MIN_COVERAGE)} of it with a (direction, frame size) of that kind's training traffic) ` +
      'and the name test passes: the device looked up, or opened TLS to, a host name on a site (a registrable ' +
      "domain) that no other kind's devices used and that at least " +
      `${pct(SITE_MIN_SHARE)} of the kind's training instances used — its maker's cloud, not a site one session ` +
      'happened to visit. An ISP sees these names (its resolver answers them; TLS server names cross in clear); a ' +
      "VPN's carrier sees neither, so the VPN view has no wider catalog.",
    '',
    `Instances as in the category study (a device in one MADEA day, in one IoT Sentinel setup file, in one extras ` +
      `file) with at least ${CATALOG_MIN_PACKETS} packets in the NAPT view: ${w.instances}, ${w.withNames} of them with host names. **Kind left out**: each kind is judged by a ` +
      'catalog trained on every other kind, so any naming is of a kind it is not. **Dataset left out**: each dataset ' +
      'is judged by a catalog trained on the other two. **Known**: the instances of each kind taken in turn, first, ' +
      'third … to train and second, fourth … to test (a kind with one instance only trains). The thresholds are the ' +
      "ONNX catalog's own; the site rule's share (one half) was set by reasoning after two simpler name rules had " +
      'been scored (models/MODEL_CARD.md), and not varied.',
    '',
  );
  const rows: string[][] = [];
  for (const [scheme, list] of [
    ['kind out', w.leaveOneKindOut],
    ['dataset out', w.leaveOneDatasetOut],
  ] as const)
    for (const r of list)
      rows.push([
        scheme,
        DATASET_NAMES[r.dataset],
        `${r.instances} (${r.kinds})`,
        ofAll(r.instances - r.named, r.instances),
        ofAll(r.named, r.instances),
        r.named <= WIDE_TARGET_NAMED * r.instances ? 'met' : 'not met',
      ]);
  lines.push(
    table(
      [
        'held out',
        'dataset',
        'instances (kinds)',
        'not named',
        'named as a kind it is not',
        'at most 5 % named',
      ],
      rows,
      [2, 3, 4],
    ),
    '',
  );
  const knownAll = w.known.reduce((a, r) => a + r.instances, 0);
  const knownNamed = w.known.reduce((a, r) => a + r.recognised + r.wrong, 0);
  const knownWrong = w.known.reduce((a, r) => a + r.wrong, 0);
  const noSites = w.kindsWithoutSites;
  const pairs = w.leaveOneKindOut.flatMap((r) =>
    r.pairs.map((p) => `${p.kind} as "${p.as}" (${p.instances}, ${DATASET_NAMES[r.dataset]})`),
  );
  lines.push(
    pairs.length === 0 ? 'No unseen kind was named.' : `Named with its kind left out: ${pairs.join('; ')}.`,
    '',
  );
  lines.push(
    table(
      ['known kinds', 'instances (kinds)', 'recognised as its kind', 'named as another kind'],
      w.known.map((r) => [
        DATASET_NAMES[r.dataset],
        `${r.instances} (${r.kinds})`,
        ofAll(r.recognised, r.instances),
        ofAll(r.wrong, r.instances),
      ]),
      [1, 2, 3],
    ),
    '',
    `What this means: of the known instances it named, ${ofAll(knownWrong, knownNamed)} were named as another ` +
      `kind. It names far fewer devices than it knows (${ofAll(knownNamed, knownAll)} of the known instances): a kind ` +
      'whose devices use no site of their own (a cloud its maker shares across products, or a public one) is never ' +
      `named — ${noSites} of the shipped catalog's ${w.kinds} kinds have none. The app says which catalog ` +
      'recognised a device and which of its host names the name test used.',
    '',
  );
  return lines.join('\n');
}
