/**
 * models/EVALUATION.md, written from the results alone (no dates, no absolute paths: a rerun
 * writes the same file): the data and split, the models beside the paper, each model, the
 * defences, the activity timelines, and the training recipe's own experiments. Thresholds quoted
 * in the prose are read from the configuration they describe, never typed in.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { activityConfig } from '../activity/activity-config.ts';
import { REFUSAL_SECONDS } from '../activity/uncounted-packets.ts';
import { CATALOG_MIN_COVERAGE, CATALOG_MIN_PACKETS, CATALOG_MIN_SHARE } from '../audit/exposure.ts';
import { SAMPLE_PER_DEVICE } from '../audit/observer-stream.ts';
import {
  IN_HOME_FOREST,
  KIND_CONFUSION,
  MIN_TEST_PACKETS,
  MIN_TRAIN_PACKETS,
  TEST_PER_DEVICE,
  TRAIN_PER_DEVICE,
} from '../audit/in-home-observer.ts';
import {
  classOfDevice,
  type ModelEntry,
  type ModelManifest,
  type ModelView,
} from '../inference/model-manifest.ts';
import { packageRoot } from '../store/folders.ts';
import { describeDefence } from '../views/defences.ts';
import {
  ACTION_SECONDS,
  EVENT_MATCH_SECONDS,
  GUARD_SECONDS,
  NEAREST_SPAN_SECONDS,
  type BusyDetectionScore,
  type MissedAction,
} from './activity-evaluation.ts';
import type { DefenceEvaluation } from './defence-evaluation.ts';
import {
  IN_HOME_DETAIL_CASE,
  inHomeSummary,
  type InHomeCaseResult,
  type InHomeEvaluation,
} from './in-home-evaluation.ts';
import { f3, pct, renderJson, table } from './markdown.ts';
import type { ClassificationMetrics } from './metrics.ts';
import type { ModelEvaluation, ViewValidation } from './model-evaluation.ts';
import {
  BASELINE_MIN_SHARE,
  KNOWN_GROUP_PACKETS,
  knownRates,
  OPEN_SET_TARGETS,
  unseenRates,
  type OpenSetDataset,
  type OpenSetEvaluation,
} from './open-set-evaluation.ts';
import type { CaseActivityScore } from './phase-evaluation.ts';
import { categorySection, wideCatalogSection } from './category-evaluation-report.ts';
import type { CategoryStudy } from './category-evaluation.ts';
import { splicedUploadsSection } from './spliced-uploads-report.ts';
import type { SplicedUploadEvaluation } from './spliced-uploads.ts';

/** The defences section: what the default models still recognise on defended traffic. */
export function defenceSection(
  results: readonly DefenceEvaluation[],
  undefended: readonly ModelEvaluation[],
): string {
  if (results.length === 0) return '';
  const rows: string[][] = [];
  for (const base of undefended) {
    const mine = results.filter((r) => r.model.id === base.model.id);
    if (mine.length === 0) continue;
    rows.push([
      base.model.view.toUpperCase(),
      base.model.id,
      'none',
      '0',
      '0 %',
      f3(base.metrics.macroRecall),
      f3(base.metrics.microAccuracy),
    ]);
    for (const r of mine)
      rows.push([
        r.model.view.toUpperCase(),
        r.model.id,
        describeDefence(r.defence),
        r.defence.kind === 'padding' ? r.bytesAddedPerPacket.toFixed(1) : `${r.dummyPackets} cover packets`,
        pct(r.costShare),
        f3(r.metrics.macroRecall),
        f3(r.metrics.microAccuracy),
      ]);
  }
  const pad32 = results.filter((r) => r.defence.kind === 'padding' && r.defence.multiple === 32);
  const published = pad32
    .flatMap((r) => {
      const base = undefended.find((u) => u.model.id === r.model.id);
      if (base === undefined) return [];
      return [
        `${r.model.view.toUpperCase()} ${f3(base.metrics.macroRecall)} → ${f3(r.metrics.macroRecall)} macro recall ` +
          `(accuracy ${f3(base.metrics.microAccuracy)} → ${f3(r.metrics.microAccuracy)}) with ${r.bytesAddedPerPacket.toFixed(1)} bytes added per packet`,
      ];
    })
    .join('; ');
  return [
    '## Defences: what the default models still recognise',
    '',
    'Each default model scored on the same validation split as the home would send it with a defence ' +
      '(views/defences.ts, the what-ifs of `telltale analyze --findings`): padding of every packet the observer ' +
      'sees to a multiple of N bytes or to the full frame, or constant-rate cover traffic (dummy packets, scored as ' +
      'no device but fed to the model like any other). The models were trained without the defence, so this is ' +
      'the attack as it stands, not one retrained against it (`telltale dataset --defence` writes the data to ' +
      'retrain with). Bytes added per packet and extra traffic are over all of the view’s MADEA traffic. ' +
      'The NAPT model also reads ports, protocol and TCP flags and flows, which padding leaves as they are; the ' +
      'VPN model has only sizes and timing. Micro accuracy counts packets, so the busiest devices dominate it; ' +
      'macro recall gives every device the same weight.',
    '',
    table(
      ['view', 'model', 'defence', 'bytes added / packet', 'extra traffic', 'macro recall', 'micro accuracy'],
      rows,
      [3, 4, 5, 6],
    ),
    '',
    ...(published === ''
      ? []
      : [
          'Published work (Minos, USENIX ATC ’25, in RESEARCH.md) reports that about 16 bytes of average padding ' +
            `cuts this attack to about 20 % accuracy. Ours, padding to multiples of 32 bytes: ${published}.`,
          '',
        ]),
  ].join('\n');
}

/** The paper's mean per-class recall (RESEARCH.md, from its appendix), by model family and view. */
const PAPER: readonly { family: string; kinds: readonly string[]; view: ModelView; macroRecall: number }[] = [
  { family: 'RF', kinds: ['random-forest'], view: 'napt', macroRecall: 0.852 },
  { family: 'RF', kinds: ['random-forest'], view: 'vpn', macroRecall: 0.589 },
  { family: 'BLSTM', kinds: ['blstm'], view: 'napt', macroRecall: 0.911 },
  { family: 'BLSTM', kinds: ['blstm'], view: 'vpn', macroRecall: 0.57 },
];

function recordedNumber(model: ModelEntry, key: 'macroRecall' | 'microAccuracy'): number | null {
  const v = model.metrics.validation?.[key];
  return typeof v === 'number' ? v : null;
}

function worstClass(m: ClassificationMetrics): string {
  const present = m.perClass.filter((c) => c.support > 0);
  if (present.length === 0) return '-';
  const worst = present.reduce((a, b) => (b.recall < a.recall ? b : a));
  return `${worst.label} (${f3(worst.recall)})`;
}

export function svgName(model: ModelEntry): string {
  return `confusion-${model.id.replace(/[^A-Za-z0-9._-]/g, '_')}.svg`;
}

function dataSection(
  data: Map<ModelView, ViewValidation>,
  manifest: ModelManifest,
  datasetsDir: string,
  captures: number,
  vpnProfile: string,
): string {
  const block = manifest.blockSeconds ?? 0;
  const choice = typeof manifest.split.blockChoice === 'string' ? ` (${manifest.split.blockChoice})` : '';
  const merged = new Map<string, readonly string[]>();
  for (const m of manifest.models) for (const [k, v] of Object.entries(m.labelMembers)) merged.set(k, v);
  const pooled = manifest.models.filter((m) => m.pooling !== null).map((m) => m.view);
  const lines: string[] = [];
  lines.push('## Data and split', '');
  lines.push(
    `* Captures: all ${captures} MADEA files (\`${relative(packageRoot(), join(datasetsDir, 'madea'))}/*/*.gz\`, ` +
      'one real home, 2023) with its `labels.csv`, turned into per-packet features by `telltale dataset` ' +
      `for each observer view (VPN profile \`${vpnProfile}\`), exactly as the training recipe does.`,
    `* Split by time, never by packet: block = floor(ts / ${block}) (${block / 60}-minute UTC blocks${choice}); ` +
      'block % 5 == 4 is **validation** (this page), block % 5 == 3 calibration, the rest train. ' +
      'No choice of the recipe looked at validation.',
    '* Runs: maximal stretches of consecutive packets with the same capture segment and split; sequence ' +
      'models see windows inside runs only (stride W/2; each packet gets the mean of the windows covering it).',
    ...(pooled.length > 0
      ? [
          `* Flow pooling (${[...new Set(pooled)].map((v) => v.toUpperCase()).join(', ')}): the observer sees which ` +
            'packets share a flow (public port, remote address and port), and a flow belongs to one device, so ' +
            "each packet gets the normalised geometric mean of its flow's probabilities within the run. The " +
            '"per packet" column is the same model before pooling (the paper\'s setting).',
        ]
      : []),
    ...[...merged].map(
      ([name, members]) =>
        `* **${name}** is one class: ${members.join(' and ')} run the same firmware and talk to the same cloud, ` +
        'and the baseline forest confused them both ways on the calibration fold (models/training/results.json ' +
        '"twins"); an outside observer cannot tell which of them it sees, only that one of them is there.',
    ),
    '* Scored: validation packets with a labelled device; packets of no labelled device stay in the ' +
      'stream as context. Predictions are the argmax (no unknown rule) unless a column says otherwise.',
    '',
  );
  for (const [view, v] of data) {
    const labelled = v.validation.label.reduce((a, l) => a + (l >= 0 ? 1 : 0), 0);
    const trained = new Set(manifest.models.filter((m) => m.view === view).flatMap((m) => m.labels));
    const unseen = v.dataset.labels.filter(
      (name, i) =>
        !manifest.models.some((m) => m.view === view && classOfDevice(m, name) !== null) &&
        v.validation.label.some((l) => l === i),
    );
    const perClass = v.dataset.labels
      .map((name, i) => ({ name, n: v.validation.label.reduce((a, l) => a + (l === i ? 1 : 0), 0) }))
      .filter((c) => c.n > 0);
    lines.push(
      `**${view.toUpperCase()}**: ${v.dataset.rows} packets × ${v.dataset.featureCount} features; validation ` +
        `${v.validation.rowIndex.length} packets (${pct(v.validation.rowIndex.length / v.dataset.rows)}) in ` +
        `${v.validation.runLengths.length} runs, ${labelled} of them with a labelled device.`,
      '',
      table(
        ['device', 'validation packets'],
        perClass.map((c) => [c.name, String(c.n)]),
        [1],
      ),
      '',
      `${trained.size} classes.` +
        (unseen.length > 0 ? ` Devices no model of this view has a class for: ${unseen.join(', ')}.` : ''),
      '',
    );
  }
  return lines.join('\n');
}

function summarySection(
  results: readonly ModelEvaluation[],
  defaults: Readonly<Record<ModelView, string>>,
): string {
  const rows = results.map((r) => {
    const recorded = recordedNumber(r.model, 'macroRecall');
    return [
      r.model.id + (defaults[r.model.view] === r.model.id ? ' (default)' : ''),
      r.model.kind,
      r.model.view.toUpperCase(),
      String(r.model.window),
      f3(r.metrics.macroRecall),
      r.perPacket === null ? '-' : f3(r.perPacket.macroRecall),
      f3(r.metrics.microAccuracy),
      f3(r.metrics.macroF1),
      worstClass(r.metrics),
      recorded === null ? '-' : f3(recorded),
    ];
  });
  const paperRows = PAPER.map((p) => {
    const ours = results
      .filter((r) => r.model.view === p.view && p.kinds.includes(r.model.kind))
      .map(
        (r) =>
          `${f3(r.perPacket?.macroRecall ?? r.metrics.macroRecall)} (${r.model.id}` +
          (r.perPacket === null ? ')' : `; ${f3(r.metrics.macroRecall)} with flow pooling)`),
      );
    return [
      `${p.family} ${p.view.toUpperCase()}`,
      f3(p.macroRecall),
      ours.length === 0 ? 'no such model' : ours.join(', '),
    ];
  });
  return [
    '## Summary (validation)',
    '',
    table(
      [
        'model',
        'kind',
        'view',
        'window',
        'macro recall',
        'per packet',
        'micro accuracy',
        'macro F1',
        'worst class (recall)',
        'recorded macro recall',
      ],
      rows,
      [3, 4, 5, 6, 7, 9],
    ),
    '',
    '"recorded" is what the training recipe wrote into the manifest for the same split; the runtime ' +
      'reproduces it (the parity test checks every number to 0.0005).',
    '',
    '### Beside the paper',
    '',
    table(
      [
        'model, view',
        'paper (mean per-class recall, 11 classes)',
        'ours (macro recall, per packet as the paper)',
      ],
      paperRows,
      [1],
    ),
    '',
    "The paper's numbers are from another home with other devices (RESEARCH.md): a bar to compare with, " +
      'not the same test.',
    '',
  ].join('\n');
}

function modelSection(r: ModelEvaluation): string {
  const m = r.metrics;
  const pooling = r.model.pooling === null ? '' : `, flow pooling (ε = ${r.model.pooling.epsilon})`;
  const rows = m.perClass.map((c) => [
    c.label,
    String(c.support),
    String(c.predicted),
    f3(c.recall),
    f3(c.precision),
    f3(c.f1),
  ]);
  return [
    `### ${r.model.id} — ${r.model.kind}, ${r.model.view.toUpperCase()} view`,
    '',
    `Window ${r.model.window}, stride ${r.model.stride}, temperature ${r.model.temperature}${pooling}, ` +
      `${r.model.features.length} features, ${r.model.labels.length} classes, file \`${r.model.file}\`.`,
    '',
    table(['class', 'packets', 'predicted', 'recall', 'precision', 'F1'], rows, [1, 2, 3, 4, 5]),
    '',
    `Macro: recall **${f3(m.macroRecall)}**, precision ${f3(m.macroPrecision)}, F1 ${f3(m.macroF1)}. ` +
      `Micro accuracy (= micro F1): **${f3(m.microAccuracy)}** over ${m.packets} packets.` +
      (r.perPacket === null
        ? ''
        : ` Before flow pooling: macro recall ${f3(r.perPacket.macroRecall)}, micro accuracy ${f3(r.perPacket.microAccuracy)}.`),
    '',
    `With the unknown rule (confidence < ${r.model.unknownThreshold}): ${pct(r.unknown.knownCalledUnknown)} of ` +
      `known-class packets are called unknown; accuracy on the rest ${f3(r.unknown.accuracyOnRest)}.`,
    '',
    `![Confusion matrix of ${r.model.id}](evaluation/${svgName(r.model)})`,
    '',
  ].join('\n');
}

/** The SSI case scored against shorter action windows, measured now. */
function windowSentence(ssi: CaseActivityScore | undefined): string {
  const v = ssi?.windowSensitivity ?? [];
  if (v.length === 0) return '';
  return (
    `Scored against windows of ${v.map((x) => `${x.actionSeconds} s`).join(' or ')} from each logged action ` +
    `instead of ${ACTION_SECONDS} s, the SSI plug's truth timeline gets F1 ${v.map((x) => f3(x.f1)).join(' and ')}.`
  );
}

/** Kilobytes for a byte threshold ("2 kB"). */
function kb(bytes: number): string {
  return `${bytes / 1000} kB`;
}

/** The thresholds the timelines were made with, read from the configuration (never typed in). */
function thresholdsSentence(): string {
  const c = activityConfig();
  const holdSeconds = c.exitHoldBins * c.binSeconds;
  const historyHours = (c.noveltyHistoryWindows * c.noveltyWindowSeconds) / 3600;
  const firstHour = (c.noveltyMinWindows * c.noveltyWindowSeconds) / 60;
  return (
    `Thresholds (src-main/activity/activity-config.ts, where each is explained). By volume: a ${c.binSeconds}-s bin ` +
    `starts a busy span at ${c.enterFactor} × the device's own median non-empty bin and at least ` +
    `${kb(c.enterFloorBytes)} or ${c.enterFloorPackets} packets, above ${c.envelopeFactor} × its ` +
    `${Math.round(100 * c.envelopeQuantile)}th percentile once ${c.envelopeMinBins} bins are known; it ends below ` +
    `${c.exitFactor} × and ${kb(c.exitFloorBytes)} / ${c.exitFloorPackets} packets after ${holdSeconds} quiet seconds. ` +
    `By kind: a bin also starts one when it holds ${c.noveltyEnterPackets} or more packets to or from the internet whose ` +
    `size (in ${c.noveltyBucketBytes}-byte steps) and direction the device's last ${historyHours} hours of traffic ` +
    `lack (seen in under ${Math.round(100 * c.noveltyFamiliarShare)} % of its ${c.noveltyWindowSeconds / 60}-minute ` +
    `windows), carrying at least ${c.noveltyBaselineFactor} × its median bin of bytes — nothing is unusual in its ` +
    `first ${firstHour} minutes. Busy bins never teach a device's background (a busy stretch over ` +
    `${(c.eventMaxBins * c.binSeconds) / 60} minutes is a new normal), so repeated events stay events. ` +
    'Network plumbing (frames that are not IP, ICMP, DHCP, DNS) and connection attempts refused with a reset or ' +
    `"unreachable" (within ${REFUSAL_SECONDS} s), with their refusals, show a device awake but are never volume ` +
    '(src-main/activity/uncounted-packets.ts): a device that cannot reach its cloud is not busy retrying. ' +
    `${c.routineMinFirings} busy spans of similar size (within ${c.routineVolumeRatio} ×) evenly spaced to within ` +
    `${Math.round(100 * c.routineLearnTolerance)} % of their period (at least ${c.routineToleranceMinSeconds} s; periods ` +
    `of ${c.routineMinPeriodSeconds / 60} min to ${c.routineMaxPeriodSeconds / 3600} h), with nothing else of that size ` +
    "between them or in the two periods before but a second timer of the same period, are the device's own timer (a " +
    'routine) and count as idle; so do later spans due on its schedule (to within ' +
    `${Math.round(100 * c.routinePeriodTolerance)} %, one missed firing at most) and earlier pairs one period apart with ` +
    'nothing of their size around them, until a span of its size comes off its schedule (then the "routine" was events ' +
    'that lined up, and is forgotten). A span that started out of silence with the far end speaking (a command its ' +
    'cloud pushed) is never routine. The numbers were chosen on the MADEA home, never on these captures, so these ' +
    'scores test them blind.'
  );
}

/** Most false busy spans per idle hour (the event-level target). */
export const MAX_FALSE_SPANS_PER_IDLE_HOUR = 2;
/** The ISP's busy recall may trail the truth's by at most this much (it sees every packet the VPN carrier does, and more). */
export const ISP_RECALL_SLACK = 0.05;

/** The event-level targets, each with what was measured. */
function activityTargetsText(results: readonly CaseActivityScore[]): string {
  const all = (r: BusyDetectionScore): string => `${r.eventsDetected} / ${r.events}`;
  const found = results.map((r) => `${r.name} ${all(r)}`).join(', ');
  const worstFalse = Math.max(
    ...results.flatMap((r) => [r.falseSpansPerIdleHour, ...r.observers.map((o) => o.falseSpansPerIdleHour)]),
  );
  const isp = results.map((r) => {
    const napt = r.observers.find((o) => o.view === 'napt');
    return { name: r.name, truth: r.recall, napt: napt?.recall ?? null };
  });
  const ispMet = isp.filter((x) => x.napt !== null && x.napt >= x.truth - ISP_RECALL_SLACK);
  const ispText = isp
    .map((x) => `${x.name} ${x.napt === null ? '-' : f3(x.napt)} against ${f3(x.truth)}`)
    .join(', ');
  const nearest = (m: MissedAction): string =>
    m.nearestSpanOffset === null
      ? `no busy span within ${NEAREST_SPAN_SECONDS} s`
      : `a busy span starts ${Math.abs(Math.round(m.nearestSpanOffset))} s ${m.nearestSpanOffset < 0 ? 'before' : 'after'} its logged time`;
  const missed = results
    .filter((r) => r.missedActions.length > 0)
    .map((r) => `${r.name}: ${r.missedActions.map((m) => `"${m.name}" (${nearest(m)})`).join('; ')}`);
  return (
    `Event-level targets. Actions found on the truth timeline: ${found}. ` +
    (missed.length > 0 ? `Missed there: ${missed.join('. ')}. ` : '') +
    `False busy spans: at most ${worstFalse.toFixed(1)} per idle hour on any timeline (target at most ` +
    `${MAX_FALSE_SPANS_PER_IDLE_HOUR}; ${worstFalse <= MAX_FALSE_SPANS_PER_IDLE_HOUR ? 'met' : 'not met'}). ` +
    `ISP (NAPT) busy recall at least the truth's minus ${Math.round(100 * ISP_RECALL_SLACK)} points: met on ` +
    `${ispMet.length} of ${isp.length} (${ispText}).`
  );
}

export function activitySection(results: readonly CaseActivityScore[] | null): string {
  const lines = ['## Activity timelines: busy detection on phase-labelled captures', ''];
  if (results === null) {
    lines.push(
      'The phase-labelled captures (datasets/extras/nku-lifecycle, ssi-tuya-plug) are absent: not evaluated.',
      '',
    );
    return lines.join('\n');
  }
  lines.push(
    'Ground truth (src-main/evaluation/activity-evaluation.ts): a 10-second bin is ' +
      '**busy** when it overlaps an action phase (NKU: setup, on / off by app, voice or button, update, watch, speak, ' +
      'delete; SSI plug: 30 s from each logged action, the manual switching session whole) and **idle** inside an idle ' +
      `phase at least ${GUARD_SECONDS} s from any action and from the phase's own start and end (each NKU idle phase ` +
      'begins with the experimenter switching the plug or moving the phone, an action its log does not list); ' +
      'everything else is not scored. An action is **found** when a bin of its window is busy or a busy span (not ' +
      `routine) lies within ${EVENT_MATCH_SECONDS} s of it and in no other action's window; a **false busy span** ` +
      `touches idle time and lies further than ${EVENT_MATCH_SECONDS} s from every action. The phase-edge guard and ` +
      'the match slack were added after the first scores were seen (they turned the NKU switch-off at a phase change ' +
      "from a false span into unscored time, and found the SSI plug's two schedule edits that show on the wire half a " +
      "minute before their logged time); the thresholds were not changed. Scored: the device's truth timeline (LAN " +
      "side) and the NAPT and VPN observers' timelines of the device: its own packets in that observer's view (what an " +
      'observer that knows the device — the in-home observer measures how well one can — sees of its activity, timing ' +
      "and sizes only); the notes give the class the catalog's model takes it for.",
    '',
    thresholdsSentence(),
    '',
  );
  const row = (name: string, who: string, r: BusyDetectionScore, extra: string): string[] => [
    name,
    who,
    `${r.eventsDetected} / ${r.events}`,
    `${r.falseSpans} (${r.falseSpansPerIdleHour.toFixed(1)})`,
    f3(r.precision),
    f3(r.recall),
    f3(r.f1),
    r.idleBusyMinutes.toFixed(1),
    extra,
  ];
  const rows: string[][] = [];
  for (const r of results) {
    rows.push(
      row(
        r.name,
        'truth (LAN)',
        r,
        `${r.devicePackets} packets, ${r.spans.filter((s) => s.routine).length} routine spans`,
      ),
    );
    for (const o of r.observers) {
      rows.push(
        row(
          r.name,
          o.view.toUpperCase(),
          o,
          `as "${o.className ?? '-'}" (${pct(o.recognisedShare)} of its packets${o.byWideCatalog ? '; the wider catalog, which learned from this capture' : ''}), state agreement ${pct(o.agreement)}`,
        ),
      );
    }
  }
  lines.push(
    table(
      [
        'capture',
        'timeline',
        'actions found',
        'false busy spans (per idle hour)',
        'busy precision',
        'busy recall',
        'F1',
        'busy minutes in idle',
        'notes',
      ],
      rows,
      [2, 3, 4, 5, 6, 7],
    ),
    '',
    activityTargetsText(results),
    '',
    `Bin-level target of issue 4: F1 at least 0.9 on the truth timelines. Mean truth F1 ${f3(results.reduce((a, r) => a + r.f1, 0) / results.length)}; ` +
      `met on ${results.filter((r) => r.f1 >= 0.9).length} of ${results.length} ` +
      `(${results.map((r) => `${r.name} ${f3(r.f1)}`).join(', ')}). ` +
      windowSentence(results.find((r) => r.name === 'ssi-plug')),
    '',
    'What was measured to choose these numbers, why the SSI plug stays below the target, where the misses are ' +
      'and every variant tried and not kept are in src-main/activity/CALIBRATION.md (the lab notebook, with the ' +
      'scores each variant had when it was tried).',
    '',
  );
  return lines.join('\n');
}

const DATASET_NAMES: Readonly<Record<OpenSetDataset, string>> = {
  'iot-sentinel': 'IoT Sentinel',
  extras: 'extras',
  madea: 'MADEA',
};

/** A share in whole percent ("85 %"), for thresholds. */
const pct0 = (v: number): string => `${Math.round(100 * v)} %`;

/** "3 devices", "1 device". */
const devicesText = (n: number): string => `${n} device${n === 1 ? '' : 's'}`;

/** "n / d (p %)", or "-" when there is nothing to count. */
function countShare(n: number, d: number): string {
  return d === 0 ? '-' : `${n} / ${d} (${pct(n / d)})`;
}

const VIEW_ORDER: readonly ModelView[] = ['napt', 'vpn'];

/** The catalog's device-level test on devices the models never saw, and on the MADEA devices they know. */
export function openSetSection(
  e: OpenSetEvaluation | null,
  results: readonly ModelEvaluation[] = [],
): string {
  const lines = ["## Devices the models never saw: the catalog's device-level test", ''];
  if (e === null) {
    lines.push(
      'The captures of devices no model saw (datasets/iot-sentinel, datasets/extras) are absent: not evaluated.',
      '',
    );
    return lines.join('\n');
  }
  const views = VIEW_ORDER.filter((v) => e.models[v] !== undefined);
  const unseen = (['iot-sentinel', 'extras'] as const).filter((d) => e.datasets.includes(d));
  const firstView = views[0];
  const filesOf = (d: OpenSetDataset): number =>
    new Set(
      [...e.instances, ...e.skipped]
        .filter((o) => o.dataset === d && o.view === firstView)
        .map((o) => o.file),
    ).size;
  const devicesOf = (d: OpenSetDataset): number =>
    new Set(
      [...e.instances, ...e.skipped]
        .filter((o) => o.dataset === d && o.view === firstView)
        .map((o) => o.device),
    ).size;
  const none = e.skipped.filter(
    (s) => s.dataset !== 'madea' && s.reason === 'few-packets' && s.packets === 0,
  );
  const gateway = e.skipped.filter((s) => s.reason === 'gateway').length;
  lines.push(
    'The catalog (what `telltale analyze` and the app name a device as) names a device only when the device as a ' +
      'whole passes the test of src-main/audit/exposure.ts (`catalogEvidence`): at least ' +
      `${CATALOG_MIN_PACKETS} packets in the observer's view, at least ${pct0(CATALOG_MIN_SHARE)} of them given one ` +
      "class by the view's default model (its argmax, before the unknown rule), and at least " +
      `${pct0(CATALOG_MIN_COVERAGE)} of them with a (direction, frame size) pair of that class's own training ` +
      'traffic (its size profile in models/manifest.json). Otherwise it is "not recognised". A device no model saw ' +
      'is pulled into some class, often with confidence, but seldom has that class’s shape. For the ISP, a ' +
      'device the test leaves unrecognised is then put to the wider catalog, measured with each kind left out ' +
      'in its own section below; this section measures the bundled models.',
    '',
    'The three thresholds are fixed constants, not tuned on what this section reports. The open-set study chose ' +
      'them leave-one-dataset-out: calibrating on datasets/extras (with the even half of the MADEA groups below as ' +
      'the known devices) and testing on IoT Sentinel, then calibrating on IoT Sentinel and testing on extras; both ' +
      `sides chose a coverage of ${CATALOG_MIN_COVERAGE}. The rates are therefore shown per dataset: each row is the ` +
      'held-out side of one round, so neither is the side tuned on.',
    '',
    `Unseen instances: every IoT Sentinel setup capture (${filesOf('iot-sentinel')} captures of ` +
      `${devicesOf('iot-sentinel')} devices, one instance per file: its folder's device) and every extras capture ` +
      `(${filesOf('extras')} captures of ${devicesOf('extras')} devices, one instance per IoT device of labels.csv in ` +
      "it; the NKU plug's full capture, not its phase cuts), each read as a capture of its own through the audit's " +
      'first pass: the same collector, model labelling and `identityOf` as `telltale analyze`. Rows of labels.csv ' +
      'whose category starts with NON-IOT are never instances, nor is a device the inventory takes for the gateway' +
      (gateway > 0 ? ` (${gateway} such)` : ' (none was)') +
      `. A device with fewer than ${CATALOG_MIN_PACKETS} packets in a view is skipped there (the test never names ` +
      `it; ${none.length} of the skipped had no packet in the view at all: setups whose traffic stayed inside the ` +
      'home). **Named**: the test recognised the device as a class of the models — a specific device it is not. ' +
      '**Named as its platform**: the class it was recognised as stands for a firmware platform (models/manifest.json ' +
      "`labelPlatforms`, from models/training/platforms.py: the HBN plug / Lumiman bulb class is Tuya's) and the " +
      "device's MAC block is assigned to that platform's maker: the app then says it is built on that platform, which " +
      'it is. ' +
      "**Baseline**: the answer without the test, the model's most frequent answer (unknown rule applied) whenever " +
      `it has at least ${pct0(BASELINE_MIN_SHARE)} of the device's packets.`,
    '',
  );
  if (unseen.length === 0) {
    lines.push('IoT Sentinel and datasets/extras are absent: no unseen device was evaluated.', '');
  } else {
    const rows: string[][] = [];
    const namedLines: string[] = [];
    const platformLines: string[] = [];
    const met: string[] = [];
    const missed: string[] = [];
    for (const view of views)
      for (const d of unseen) {
        const r = unseenRates(e, d, view);
        const where = `${view.toUpperCase()} ${DATASET_NAMES[d]}`;
        rows.push([
          DATASET_NAMES[d],
          view.toUpperCase(),
          `${r.instances} (${devicesText(r.devices)})`,
          r.skippedNone > 0 ? `${r.skipped} (${r.skippedNone} with none)` : String(r.skipped),
          countShare(r.notRecognised, r.instances),
          countShare(r.namedPlatform, r.instances),
          countShare(r.named, r.instances),
          pct(r.namedDeviceWeighted),
          countShare(r.baselineNamed, r.instances),
        ]);
        for (const [device, as] of r.namedAs)
          for (const [cls, n] of as)
            namedLines.push(`${where}: ${device} as "${cls}" (${n} of its captures)`);
        for (const [device, as] of r.namedAsPlatform)
          for (const [cls, n] of as)
            platformLines.push(`${where}: ${device} as "${cls}", its platform (${n} of its captures)`);
        if (r.instances === 0) continue;
        const ok =
          (r.notRecognised + r.namedPlatform) / r.instances >= OPEN_SET_TARGETS.unseenNotRecognised &&
          r.named / r.instances <= OPEN_SET_TARGETS.unseenNamed;
        (ok ? met : missed).push(`${where} (${pct(r.named / r.instances)} named)`);
      }
    lines.push(
      table(
        [
          'dataset',
          'view',
          'instances',
          `skipped (< ${CATALOG_MIN_PACKETS} packets)`,
          'not recognised',
          'named as its platform',
          'named as a specific device',
          'named, each device weighted alike',
          'baseline: named',
        ],
        rows,
        [3, 4, 5, 6, 7, 8],
      ),
      '',
      `Named with the test: ${namedLines.length === 0 ? 'none' : namedLines.join('; ')}.` +
        (platformLines.length === 0 ? '' : ` Named as its platform: ${platformLines.join('; ')}.`),
      '',
      `Targets (the issue): an unseen device is called "not recognised" (or named as its platform) at least ` +
        `${pct0(OPEN_SET_TARGETS.unseenNotRecognised)} of the time and named as a specific device in at most ` +
        `${pct0(OPEN_SET_TARGETS.unseenNamed)} of cases. Met on ${met.length === 0 ? 'none' : met.join(', ')}` +
        (missed.length === 0 ? '.' : `; not met on ${missed.join(', ')}.`),
      '',
    );
  }
  const knownRows: string[][] = [];
  const missedLines: string[] = [];
  const recall: string[] = [];
  for (const view of views) {
    const all = knownRates(e, view);
    const odd = knownRates(e, view, 1);
    const model = e.models[view] ?? '-';
    const base = results.find((r) => r.model.id === model);
    const target = OPEN_SET_TARGETS.knownMacroRecall[view];
    if (base !== undefined)
      recall.push(
        `${view.toUpperCase()} ${f3(base.metrics.macroRecall)} (target ${target.toFixed(2)}, ` +
          `${base.metrics.macroRecall >= target ? 'met' : 'not met'})`,
      );
    knownRows.push([
      view.toUpperCase(),
      model,
      base === undefined ? '-' : f3(base.metrics.macroRecall),
      `${all.groups} (${devicesText(all.devices)})`,
      String(all.skipped),
      countShare(all.recognised, all.groups),
      String(all.wrongClass),
      f3(all.macroRecognised),
      countShare(all.baselineRecognised, all.groups),
      countShare(odd.recognised, odd.groups),
    ]);
    for (const [device, [m, n]] of all.missed)
      missedLines.push(`${view.toUpperCase()} ${device} ${m} of ${n}`);
  }
  const skippedKnown = e.skipped.filter((s) => s.dataset === 'madea');
  lines.push(
    '**Known devices** (MADEA): the validation split above, each view’s default model run over it as in the ' +
      'tables above (windows, stitching, flow pooling), and the instances cut as the study cut them: the home’s ' +
      'validation blocks numbered in time order, half = number % 2 (the study calibrated on the even half), and per ' +
      `device and half consecutive blocks grouped until a group holds ${KNOWN_GROUP_PACKETS} packets (a short tail ` +
      'joins the last group). Counted: recognised as the device’s own class. Skipped: groups with fewer than ' +
      `${CATALOG_MIN_PACKETS} packets in the view` +
      (skippedKnown.some((s) => s.reason === 'no-class')
        ? ' and devices no class of the model stands for'
        : '') +
      (skippedKnown.length === 0
        ? ' (none).'
        : ` (${[...new Set(skippedKnown.map((s) => `${s.view.toUpperCase()} ${s.device}`))].join(', ')}).`),
    '',
    table(
      [
        'view',
        'default model',
        'macro recall per packet',
        'groups',
        'skipped',
        'recognised as its class',
        'as another class',
        'per device (macro)',
        'baseline: as its class',
        'odd half (not calibrated on)',
      ],
      knownRows,
      [2, 4, 5, 6, 7, 8, 9],
    ),
    '',
    `Groups not recognised as their class: ${missedLines.length === 0 ? 'none' : missedLines.join('; ')}. ` +
      `Targets (the issue): the default models keep their macro recall on the split: ${recall.join('; ')}.`,
    '',
  );
  return lines.join('\n');
}

function shareCell(share: number | null, interval: [number, number] | null = null): string {
  if (share === null) return '-';
  return interval === null ? f3(share) : `${f3(share)} (${f3(interval[0])}–${f3(interval[1])})`;
}

/** The per-device table of one home. */
function inHomeDeviceTable(c: InHomeCaseResult): string {
  const nameOf = new Map(c.devices.map((d) => [d.mac, d.name]));
  const views = VIEW_ORDER.filter((v) => c.observers.some((o) => o.view === v && o.inHome !== null));
  const rows = c.devices.map((d) => {
    const cells: string[] = [d.name];
    for (const view of views) {
      const o = c.observers.find((x) => x.view === view)!.inHome!;
      const r = o.devices.find((x) => x.mac === d.mac);
      if (r === undefined) {
        cells.push('-', '-', '-');
        continue;
      }
      cells.push(`${r.trainPackets} / ${r.testPackets}`);
      if (!r.measured) {
        cells.push(r.unmeasured === 'no-other-device' ? 'no other device' : 'not enough traffic', '-');
        if (view === 'napt') cells.push('-');
        continue;
      }
      cells.push(shareCell(r.recognisedShare, r.interval));
      if (view === 'napt') cells.push(shareCell(r.perFlow));
      cells.push(
        r.mistakenFor === null
          ? '-'
          : `${nameOf.get(r.mistakenFor) ?? r.mistakenFor} (${pct(r.mistakenShare)})`,
      );
    }
    return cells;
  });
  const header = ['device'];
  for (const view of views) {
    const v = view.toUpperCase();
    header.push(`${v} packets before / after`, `${v} share per packet (95 %)`);
    if (view === 'napt') header.push(`${v} per flow`);
    header.push(`${v} mistaken most for`);
  }
  return table(
    header,
    rows,
    header.flatMap((h, i) => (i > 0 && !h.includes('mistaken') ? [i] : [])),
  );
}

/** The observer trained on the home's own traffic, measured on every dataset. */
export function inHomeSection(e: InHomeEvaluation | null): string {
  const lines = ['## The observer trained on your own home', ''];
  if (e === null || e.cases.length === 0) {
    lines.push(
      'The captures (datasets/madea, datasets/iot-sentinel, datasets/extras) are absent: not evaluated.',
      '',
    );
    return lines.join('\n');
  }
  const f = IN_HOME_FOREST;
  lines.push(
    'What `telltale analyze` reports as the observer trained on your own home (src-main/audit/in-home-observer.ts): ' +
      'an ISP or VPN carrier that has labelled traffic of the same devices can learn them without any catalog. ' +
      `A random forest (${f.trees} trees, depth at most ${f.maxDepth}) learns each device from its earlier packets in ` +
      'the view and is tested on its later ones (a split in time, never by packet): the audit keeps a uniform ' +
      `sample of at most ${SAMPLE_PER_DEVICE} of each device's packets as it reads (its split is the sample's ` +
      `median time), and draws at most ${TRAIN_PER_DEVICE} training and ${TEST_PER_DEVICE} test packets per ` +
      'device from it; the packets before and after the split are counted over the whole capture. A device with fewer than ' +
      `${MIN_TRAIN_PACKETS} packets before the split or ${MIN_TEST_PACKETS} after it is "not enough traffic", and ` +
      'one that is the only device with enough traffic has no other to be told from. **Share per packet**: of a ' +
      "device's test packets, the share named as it, averaged over the measured devices; **per flow** (NAPT only, a " +
      'VPN has no flows to see): the share of its flows with 3 or more test packets whose majority answer is it. ' +
      'Devices of one vendor one of which the observer takes for the other for at least ' +
      `${pct0(KIND_CONFUSION)} of its packets (merged transitively) are one **kind** to an outsider; the ` +
      'features that only grow over a long-lived connection (flow packets, bytes, age) are left out, as they ' +
      'would teach the forest the clock.',
    '',
    "Homes: each MADEA monitoring day's files read as one home; the IoT Sentinel devices merged into one home (all " +
      'setup files of all devices, in time order) — setup captures only, so there an observer learns a device from ' +
      'some of its setups and meets it again in later ones, never in daily use; each extras set as one home (the NKU ' +
      "plug's full capture with the camera's phase files). Devices are the audit's: every home device but the " +
      'gateway, labelled or not (the MADEA phone included). Every file is read whole. How long it takes ' +
      'is measured by `npm run bench`, not here (this page is the same on every run).',
    '',
  );
  const rows: string[][] = [];
  const kinds: string[][] = [];
  for (const c of e.cases)
    for (const view of VIEW_ORDER) {
      const s = inHomeSummary(c, view);
      if (s === null) continue;
      rows.push([
        c.name,
        view.toUpperCase(),
        `${c.files} / ${c.packets}`,
        String(s.devices),
        String(s.measured),
        String(s.tooLittle) + (s.noOther > 0 ? ` (+ ${s.noOther} with no other device)` : ''),
        shareCell(s.meanShare),
        view === 'napt' ? shareCell(s.meanPerFlow) : '-',
        `${s.trainRows} / ${s.testRows}`,
      ]);
      for (const k of s.kinds)
        kinds.push([c.name, view.toUpperCase(), k.names.join(' + '), f3(k.share), shareCell(k.perFlow)]);
    }
  lines.push(
    table(
      [
        'home',
        'view',
        'files / packets',
        'devices',
        'measured',
        'not enough traffic',
        'mean share per packet',
        'mean per flow',
        'training / test packets',
      ],
      rows,
      [2, 3, 4, 6, 7, 8],
    ),
    '',
  );
  if (kinds.length > 0)
    lines.push(
      'Kinds found (share per packet and per flow of the kind: a packet counts when it is named as any member):',
      '',
      table(['home', 'view', 'kind', 'share per packet', 'per flow'], kinds, [3, 4]),
      '',
    );
  const detail = e.cases.find((c) => c.name === IN_HOME_DETAIL_CASE);
  if (detail !== undefined)
    lines.push(
      `Per device, ${detail.name} (the interval is a 95 % bootstrap interval over the minutes of test traffic):`,
      '',
      inHomeDeviceTable(detail),
      '',
    );
  return lines.join('\n');
}

function trainingResultsSection(modelsDir: string): string {
  const path = join(modelsDir, 'training', 'results.json');
  if (!existsSync(path)) {
    return '## Open-set and window-length experiments\n\nmodels/training/results.json is absent: the training recipe has not recorded these experiments.\n';
  }
  const doc = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  return [
    '## Open-set and window-length experiments (models/training/results.json)',
    '',
    'As the training recipe recorded them (on training folds and the validation split as it states). Its ' +
      'throughput figures were taken while training ran on the same two cores; `npm run bench` measures the ' +
      'bundled default models alone, and the speed targets are judged there.',
    '',
    renderJson(doc, 'Results', 3),
  ].join('\n');
}

/** The whole EVALUATION.md text. */
export function evaluationMarkdown(
  results: readonly ModelEvaluation[],
  data: Map<ModelView, ViewValidation>,
  manifest: ModelManifest,
  modelsDir: string,
  datasetsDir: string,
  captures: number,
  vpnProfile: string,
  activity: readonly CaseActivityScore[] | null,
  defences: readonly DefenceEvaluation[] = [],
  openSet: OpenSetEvaluation | null = null,
  inHome: InHomeEvaluation | null = null,
  spliced: SplicedUploadEvaluation | null = null,
  category: CategoryStudy | null = null,
): string {
  return [
    '# Telltale models — evaluation',
    '',
    'Written by `npm run eval` (`telltale eval`); do not edit by hand. The numbers come from the ' +
      'TypeScript runtime (onnxruntime-node in a worker thread) running the bundled ONNX files, so ' +
      'they are what the app will do. A rerun writes this file again, identically.',
    '',
    dataSection(data, manifest, datasetsDir, captures, vpnProfile),
    summarySection(results, manifest.defaults),
    '## Per model',
    '',
    ...results.map(modelSection),
    defenceSection(defences, results),
    activitySection(activity),
    splicedUploadsSection(spliced),
    openSetSection(openSet, results),
    inHomeSection(inHome),
    categorySection(category),
    wideCatalogSection(category),
    trainingResultsSection(modelsDir),
  ].join('\n');
}
