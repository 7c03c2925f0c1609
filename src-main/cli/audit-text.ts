/**
 * The audit as terminal text for `telltale analyze --activity --findings`: compact timelines per
 * device (truth and what each observer infers), the exposure per device per observer, the
 * findings and the defence what-ifs.
 */
import { recognisedCount, recognisingViews, spansSeenOf } from '../audit/exposure.ts';
import type { ActivityState } from '../activity/activity-config.ts';
import { formatDuration, type ActivityTimeline } from '../activity/activity-timeline.ts';
import type { HomeAudit } from '../audit/audit-types.ts';
import type { ModelView } from '../inference/model-manifest.ts';
import { deviceName, type Finding } from '../findings/findings.ts';
import { formatTable } from './format-table.ts';
import { catalogName } from '../shared/device-categories.ts';
import {
  homeRefusals,
  homeRefusalsText,
  MIN_REFUSALS_TO_TELL,
  refusalsText,
} from '../shared/device-verdict.ts';

/** Characters per timeline strip. */
export const STRIP_WIDTH = 72;
const GLYPH: Readonly<Record<ActivityState, string>> = { asleep: '.', idle: '-', busy: '#' };

/**
 * A timeline as a strip of STRIP_WIDTH cells over [start, end): '#' when any busy time falls in
 * the cell, else the state covering most of it ('-' idle, '.' asleep), ' ' where it has no data.
 */
export function timelineStrip(
  t: ActivityTimeline | null,
  start: number,
  end: number,
  width = STRIP_WIDTH,
): string {
  const cell = (end - start) / width;
  const cells: string[] = [];
  for (let i = 0; i < width; i++) {
    const a = start + i * cell;
    const b = a + cell;
    const cover: Record<ActivityState, number> = { asleep: 0, idle: 0, busy: 0 };
    for (const s of t?.segments ?? []) {
      const overlap = Math.min(b, s.end) - Math.max(a, s.start);
      if (overlap > 0) cover[s.state] += overlap;
    }
    if (cover.busy > 0) cells.push(GLYPH.busy);
    else if (cover.idle + cover.asleep === 0) cells.push(' ');
    else cells.push(cover.idle >= cover.asleep ? GLYPH.idle : GLYPH.asleep);
  }
  return cells.join('');
}

const pct = (share: number): string => `${(100 * share).toFixed(0)} %`;

function busySeconds(t: ActivityTimeline): number {
  return t.segments.filter((s) => s.state === 'busy').reduce((a, s) => a + s.end - s.start, 0);
}

/** "2023-06-14 03:00:43 UTC". */
function utcTime(ts: number): string {
  return `${new Date(ts * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** "busy 4 min", or "never busy" (a duration never reads under 1 s). */
function busyWords(t: ActivityTimeline): string {
  const busy = busySeconds(t);
  return busy <= 0 ? 'never busy' : `busy ${formatDuration(busy)}`;
}

export function timelinesText(audit: HomeAudit): string {
  if (audit.start === null || audit.end === null) return 'Activity: no packets.\n';
  const start = Math.floor(audit.start / 60) * 60;
  const end = Math.max(start + 60, Math.ceil(audit.end / 60) * 60);
  const lines = [
    `Activity timelines, ${new Date(start * 1000).toISOString().slice(0, 16)} to ${new Date(end * 1000).toISOString().slice(0, 16)} UTC ` +
      `(${formatDuration(end - start)}, one cell = ${formatDuration((end - start) / STRIP_WIDTH)}; # busy, - idle, . asleep)`,
  ];
  const cut = homeRefusals(audit.devices.map((d) => d.truth));
  if (cut !== null) lines.push(homeRefusalsText(cut.devices, utcTime(cut.first), utcTime(cut.last)));
  for (const d of audit.devices) {
    lines.push('', `${deviceName(d)} (${d.mac})`);
    lines.push(`  ${'truth'.padEnd(6)} |${timelineStrip(d.truth, start, end)}| ${busyWords(d.truth)}`);
    for (const o of audit.observers) {
      const r = o.devices.find((x) => x.mac === d.mac);
      const label = o.view.toUpperCase().padEnd(6);
      lines.push(
        `  ${label} |${timelineStrip(r?.inferred ?? null, start, end)}| ` +
          (r?.identity.className == null
            ? 'no class'
            : `as "${r.identity.className}", busy spans seen ${r.activity.spansSeen}/${r.activity.spansTotal}`),
      );
    }
    const spans = d.truth.spans.filter((s) => !s.routine);
    const routine = d.truth.spans.filter((s) => s.routine);
    const top = [...spans].sort((a, b) => b.bytesUp + b.bytesDown - (a.bytesUp + a.bytesDown)).slice(0, 3);
    for (const s of top) {
      lines.push(`  busy ${utcTime(s.start)}: ${s.description}`);
    }
    if (spans.length > top.length) lines.push(`  ... ${spans.length - top.length} more busy spans`);
    const refused = d.truth.refusals;
    if (refused !== undefined && refused.count >= MIN_REFUSALS_TO_TELL)
      lines.push(`  ${refusalsText(String(refused.count), utcTime(refused.first), utcTime(refused.last))}`);
    if (routine.length > 0) {
      const periods = [...new Set(routine.map((s) => Math.round(s.routinePeriod ?? 0)))].slice(0, 3);
      lines.push(
        `  ${routine.length} routine exchanges (every ${periods.map((p) => formatDuration(p)).join(', ')}) counted as idle`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

export function exposureText(audit: HomeAudit): string {
  const columns = [
    { header: 'device', max: 30 },
    ...audit.observers.flatMap((o) => [
      { header: `${o.view.toUpperCase()} catalog`, max: 48 },
      { header: `${o.view.toUpperCase()} busy spans seen`, align: 'right' as const },
    ]),
  ];
  const rows = audit.devices.map((d) => [
    deviceName(d),
    ...audit.observers.flatMap((o) => {
      const r = o.devices.find((x) => x.mac === d.mac);
      if (r === undefined || r.identity.packets === 0) return ['(not seen)', '-'];
      const id = r.identity;
      return [
        id.evidence === 'recognised'
          ? `${id.topModelClass === null ? '-' : catalogName(id.topModelClass, id.platform)} (${pct(id.topModelShare)})`
          : id.evidence === 'looks-like' && id.category?.category != null
            ? `looks like a ${id.category.category} (${pct(id.category.probability)})`
            : `not recognised${id.topModelClass === null ? '' : ` (guess: ${id.topModelClass})`}`,
        `${r.activity.spansSeen}/${r.activity.spansTotal}`,
      ];
    }),
  ]);
  const means = audit.observers
    .map(
      (o) =>
        `${o.observer} (${o.modelId}): recognises ${recognisedCount(o.devices)} of ${o.devices.filter((r) => r.identity.packets > 0).length} devices seen; its timelines show ${spansSeenOf(o.devices).seen} of the devices' ${spansSeenOf(o.devices).total} busy spans`,
    )
    .join('; ');
  return (
    `What Telltale's catalog recognises ("catalog": the device its models name, only where the device-level test ` +
    `passed — enough packets, a majority for one device, and that device's packet sizes; "looks like": not ` +
    `recognised, but the category model names its kind with the confidence its leave-one-device-out test found ` +
    `reliable; "busy spans seen": the device's busy spans, routine ones left out, that the observer's timeline of ` +
    `its own packets also shows busy, of all of them)\n` +
    `${formatTable(columns, rows)}\n${means}\n`
  );
}

/** "94 % (88–97 %)" */
function shareWithInterval(share: number, interval: [number, number] | null): string {
  return interval === null
    ? pct(share)
    : `${pct(share)} (${pct(interval[0]).replace(' %', '')}–${pct(interval[1])})`;
}

/**
 * What an observer trained on this home's own earlier traffic names correctly later on, per device
 * (and per kind where units of one model cannot be told apart): the paper's threat, measured.
 */
export function inHomeText(audit: HomeAudit): string {
  const observers = audit.observers.filter((o) => o.inHome !== null);
  if (observers.length === 0) return '';
  const columns = [
    { header: 'device', max: 30 },
    ...observers.flatMap((o) => [
      { header: `${o.view.toUpperCase()} named right (95 % interval)`, align: 'right' as const },
      { header: `${o.view.toUpperCase()} per flow`, align: 'right' as const },
      { header: `${o.view.toUpperCase()} else taken for`, max: 24 },
    ]),
  ];
  const names = new Map(audit.devices.map((d) => [d.mac, deviceName(d)]));
  const rows = audit.devices.map((d) => [
    deviceName(d),
    ...observers.flatMap((o) => {
      const r = o.inHome!.devices.find((x) => x.mac === d.mac);
      if (r === undefined || !r.measured)
        return [
          r?.unmeasured === 'no-other-device'
            ? 'no other device to tell it from'
            : `too little traffic (${r?.trainPackets ?? 0} before / ${r?.testPackets ?? 0} after)`,
          '-',
          '-',
        ];
      return [
        shareWithInterval(r.recognisedShare!, r.interval),
        r.perFlow === null ? '-' : pct(r.perFlow),
        r.mistakenFor === null
          ? '-'
          : `${names.get(r.mistakenFor) ?? r.mistakenFor} (${pct(r.mistakenShare)})`,
      ];
    }),
  ]);
  const lines = [
    'The observer trained on your own home (an ISP or VPN carrier with labelled traffic of devices like yours): ' +
      "trained on the first half of each device's traffic, tested on the second half; share of its later packets it names correctly",
    formatTable(columns, rows),
  ];
  for (const o of observers) {
    const h = o.inHome!;
    lines.push(
      `${o.observer}: ${h.meanRecognisedShare === null ? 'no device could be measured' : `${pct(h.meanRecognisedShare)} on average over the ${h.devices.filter((x) => x.measured).length} devices measured`}; ` +
        `${h.trainRows} training and ${h.testRows} test packets (sampled), ${h.seconds.toFixed(1)} s.`,
    );
    for (const k of h.kinds)
      lines.push(
        `  ${k.macs.map((m) => names.get(m) ?? m).join(' and ')} look alike to it (one kind): the kind is named right ${shareWithInterval(k.recognisedShare, k.interval)}.`,
      );
  }
  return `${lines.join('\n')}\n`;
}

export function findingsText(findings: readonly Finding[], audit: HomeAudit): string {
  const names = new Map(audit.devices.map((d) => [d.mac, deviceName(d)]));
  const lines = [`Findings (${findings.length})`];
  for (const f of findings) {
    const where = f.device === null ? 'home' : (names.get(f.device) ?? f.device);
    // what the app shows only to researchers (defences that backfire or more than double the traffic)
    lines.push(`  [${f.severity}${f.researchOnly === true ? ', for researchers' : ''}] ${where}: ${f.title}`);
    if (f.severity !== 'info') lines.push(`         → ${f.advice}`);
  }
  return `${lines.join('\n')}\n`;
}

export function whatIfText(audit: HomeAudit): string {
  if (audit.whatIfs.length === 0) return '';
  const columns = [
    { header: 'observer' },
    { header: 'defence', max: 48 },
    { header: 'recognised', align: 'right' as const },
    { header: 'busy spans seen', align: 'right' as const },
    { header: 'extra traffic', align: 'right' as const },
  ];
  // sampled what-ifs are compared with the observer on the same sample
  const undefended = (view: string) => audit.whatIfs.find((w) => w.view === view)?.sample?.undefended ?? null;
  // recognition is measured on the devices the catalog recognises: with none, there is no figure
  const measured = recognisingViews(audit);
  const recognised = (view: ModelView, share: number) => (measured.has(view) ? pct(share) : '–');
  const rows = [
    ...audit.observers.map((o) => {
      const u = undefended(o.view);
      return [
        o.view.toUpperCase(),
        'none',
        recognised(o.view, u?.meanRecognisedShare ?? o.meanRecognisedShare),
        u === null
          ? `${spansSeenOf(o.devices).seen}/${spansSeenOf(o.devices).total}`
          : `${u.spansSeen}/${u.spansTotal}`,
        '0 %',
      ];
    }),
    ...audit.whatIfs.map((w) => [
      w.view.toUpperCase(),
      w.description,
      recognised(w.view, w.meanRecognisedShare),
      `${w.spansSeen}/${w.spansTotal}`,
      pct(w.costShare),
    ]),
  ];
  const sample = audit.whatIfs.find((w) => w.sample !== null)?.sample ?? null;
  const sampled =
    sample === null
      ? ''
      : `The capture is long: the what-ifs looked at ${sample.blocks} stretches of it (${formatDuration(sample.seconds)} of ` +
        `${formatDuration(sample.ofSeconds)}) packet by packet, so their recognised share and busy spans are those of ` +
        `the sample (the "none" rows too); extra traffic is the whole capture's.\n`;
  const none = audit.observers.filter((o) => !measured.has(o.view)).map((o) => o.view.toUpperCase());
  const unmeasured =
    none.length === 0
      ? ''
      : `recognised: over the devices the catalog recognises without the defence; – for ${none.join(' and ')}, ` +
        'where it recognises none.\n';
  return `Defence what-ifs (same models, home averages)\n${formatTable(columns, rows)}\n${unmeasured}${sampled}`;
}
