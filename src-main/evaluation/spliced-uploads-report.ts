/**
 * The spliced-upload section of models/EVALUATION.md (the test is spliced-uploads.ts): every
 * number and threshold is read from the results and the test's constants, never typed in.
 */
import { formatBytes, formatDuration } from '../activity/activity-timeline.ts';
import { pct, table } from './markdown.ts';
import {
  BURST_BIN_SECONDS,
  DONOR_LEAD_SECONDS,
  INSERT_GAP_SECONDS,
  INSERT_MARGIN_SECONDS,
  MATCH_SECONDS,
  MIN_DONOR_BURSTS,
  QUIET_CATEGORIES,
  QUIET_MAX_BUSY_SHARE,
  SLEEPER_MAX_ACTIVE_SHARE,
  UPLOAD_RULE,
  type SplicedTimelineScore,
  type SplicedUploadEvaluation,
} from './spliced-uploads.ts';

/** Share of inserted uploads the truth and ISP timelines must find. */
export const SPLICED_FOUND_TARGET = 0.95;

const TIMELINE_NAMES: Readonly<Record<SplicedTimelineScore['timeline'], string>> = {
  truth: 'truth (LAN)',
  napt: 'NAPT (ISP)',
  vpn: 'VPN',
};

/** The scores of one camera and timeline summed over every schedule. */
function summed(
  scores: readonly SplicedTimelineScore[],
): Omit<SplicedTimelineScore, 'timeline' | 'falsePerHour'> {
  const sum = (
    k: 'inserted' | 'found' | 'missedAsRoutine' | 'missedUnseen' | 'naturalBusy' | 'falseSpans',
  ): number => scores.reduce((a, s) => a + s[k], 0);
  return {
    inserted: sum('inserted'),
    found: sum('found'),
    missedAsRoutine: sum('missedAsRoutine'),
    missedUnseen: sum('missedUnseen'),
    naturalBusy: sum('naturalBusy'),
    falseSpans: sum('falseSpans'),
  };
}

export function splicedUploadsSection(e: SplicedUploadEvaluation | null): string {
  const lines = ['## Spliced uploads: a sleeping camera uploading at random times', ''];
  if (e === null) {
    lines.push('The MADEA captures are absent: not evaluated.', '');
    return lines.join('\n');
  }
  const r = UPLOAD_RULE;
  lines.push(
    'Does the busy detector find every upload of a camera that sleeps between them, however many similar uploads ' +
      'came before and at times no timer explains? Built from real traffic of the MADEA home only, by rules fixed ' +
      'in src-main/evaluation/spliced-uploads.ts before any score was seen. **Donors**: cameras of labels.csv that ' +
      `sleep (internet traffic in under ${pct(SLEEPER_MAX_ACTIVE_SHARE)} of the covered ${BURST_BIN_SECONDS}-s bins) ` +
      `and upload at least ${MIN_DONOR_BURSTS} times. An **upload burst** is at least ${formatBytes(r.minUpBytes)} up ` +
      `to the internet within ${formatDuration(r.windowSeconds)} after ${formatDuration(r.quietSeconds)} with under ` +
      `${formatBytes(r.quietMaxUpBytes)} up, lasting until ${formatDuration(r.endQuietSeconds)} pass with under ` +
      `${formatBytes(r.endQuietMaxBytes)} of the camera's internet traffic (at most ${formatDuration(r.maxSeconds)}); ` +
      `the camera's frames from ${DONOR_LEAD_SECONDS} s before it to its end are one donor. **Splice**: copies of the ` +
      `donors at gaps drawn uniformly from ${INSERT_GAP_SECONDS[0] / 60} to ${INSERT_GAP_SECONDS[1] / 60} min, each ` +
      `at least ${INSERT_MARGIN_SECONDS / 60} min from every natural burst, the copy before it and the edges of ` +
      "continuous coverage, into the camera's own traffic over all the covered time (its natural bursts left in " +
      'place; only time stamps are shifted), one spliced capture per schedule seed, read by the same audit as ' +
      '`telltale analyze`. An inserted upload is **found** when a busy span (not a routine one) of the timeline ' +
      `overlaps it, give or take ${MATCH_SECONDS} s; a busy span that overlaps no inserted and no natural burst is a ` +
      '**false** one.',
    '',
  );
  lines.push(
    table(
      ['camera', 'internet traffic in', 'upload bursts', 'donor'],
      e.cameras.map((c) => [
        c.device,
        `${pct(c.activeShare)} of its bins`,
        String(c.bursts.length),
        c.donor ? 'yes' : `no: ${c.reason ?? ''}`,
      ]),
      [2],
    ),
    '',
  );
  if (e.results.length === 0) {
    lines.push('No camera of the home qualifies as a donor: not evaluated.', '');
  } else {
    const devices = [...new Set(e.results.map((x) => x.device))];
    const timelines = [...new Set(e.results.flatMap((x) => x.scores.map((s) => s.timeline)))];
    const rows: string[][] = [];
    const foundShare = new Map<string, number>();
    for (const device of devices) {
      const runs = e.results.filter((x) => x.device === device);
      const hours = e.coveredHours * runs.length;
      for (const timeline of timelines) {
        const t = summed(runs.flatMap((x) => x.scores.filter((s) => s.timeline === timeline)));
        foundShare.set(`${device}|${timeline}`, t.inserted === 0 ? 0 : t.found / t.inserted);
        rows.push([
          device,
          TIMELINE_NAMES[timeline],
          `${t.found} / ${t.inserted} (${pct(t.inserted === 0 ? 0 : t.found / t.inserted)})`,
          String(t.missedAsRoutine),
          String(t.missedUnseen),
          `${t.naturalBusy} / ${runs.length * (e.cameras.find((c) => c.device === device)?.bursts.length ?? 0)}`,
          `${t.falseSpans} (${(hours > 0 ? t.falseSpans / hours : 0).toFixed(2)})`,
        ]);
      }
    }
    lines.push(
      `${e.files} captures, ${e.coveredHours.toFixed(1)} h covered; ${e.results.length} spliced captures ` +
        `(${[...new Set(e.results.map((x) => x.seed))].length} schedules per donor), ` +
        `${e.results.reduce((a, x) => a + x.insertions.length, 0)} inserted uploads of ` +
        `${formatBytes(Math.min(...e.results.flatMap((x) => x.insertions.map((i) => i.bytesUp))))}–` +
        `${formatBytes(Math.max(...e.results.flatMap((x) => x.insertions.map((i) => i.bytesUp))))}.`,
      '',
      table(
        [
          'camera',
          'timeline',
          'inserted uploads found',
          'missed: taken for a routine',
          'missed: no span',
          'natural bursts called busy',
          'false busy spans (per hour)',
        ],
        rows,
        [2, 3, 4, 5, 6],
      ),
      '',
      `Per schedule (found / inserted, truth and NAPT): ${e.results
        .map((x) => {
          const f = (tl: string): string => {
            const s = x.scores.find((y) => y.timeline === tl);
            return s === undefined ? '-' : `${s.found}/${s.inserted}`;
          };
          return `${x.device} seed ${x.seed.toString(16)}: ${f('truth')}, ${f('napt')}`;
        })
        .join('; ')}.`,
      '',
    );
    const checks = devices.flatMap((d) =>
      (['truth', 'napt'] as const).map((tl) => ({ d, tl, share: foundShare.get(`${d}|${tl}`) })),
    );
    const unmet = checks.filter((c) => c.share !== undefined && c.share < SPLICED_FOUND_TARGET);
    lines.push(
      `Target: at least ${pct(SPLICED_FOUND_TARGET)} of the inserted uploads found by the truth and the ISP ` +
        `timelines: ${unmet.length === 0 ? 'met' : `not met (${unmet.map((c) => `${c.d} ${TIMELINE_NAMES[c.tl]} ${pct(c.share ?? 0)}`).join(', ')})`}.`,
      '',
    );
  }
  const quiet = e.devices.filter((d) => QUIET_CATEGORIES.includes(d.category.trim().toLowerCase()));
  const over = quiet.filter((d) => d.busyShare >= QUIET_MAX_BUSY_SHARE);
  lines.push(
    "Busy time of the unspliced home's truth timelines (every labelled device; the share of the covered time in " +
      'busy spans, and in busy spans with traffic to or from the internet):',
    '',
    table(
      ['device', 'category', 'busy time', 'with internet traffic'],
      e.devices.map((d) => [d.device, d.category, pct(d.busyShare), pct(d.internetBusyShare)]),
      [2, 3],
    ),
    '',
    `Target: plugs, bulbs and sensors (${QUIET_CATEGORIES.join(', ')}) busy under ${pct(QUIET_MAX_BUSY_SHARE)} of ` +
      `the time: ${over.length === 0 ? `met by all ${quiet.length}` : `met by ${quiet.length - over.length} of ${quiet.length}; not by ${over.map((d) => `${d.device} (${pct(d.busyShare)}, ${pct(d.internetBusyShare)} with internet traffic)`).join(', ')}`}.`,
    '',
  );
  return lines.join('\n');
}
