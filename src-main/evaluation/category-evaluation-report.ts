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
import { pct, table } from './markdown.ts';

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
      'setup file one instance) and the extras (each set one instance). **Leave-one-device-out**: each kind of ' +
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
