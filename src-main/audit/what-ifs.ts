/**
 * Defence what-ifs: one more pass over the capture files through the observers' views with each
 * defence applied (padding, cover traffic), labelled by the same models, scored against the
 * devices' truth — what each observer could still tell if the home used the defence. The cost
 * follows the packets looked at: one pass for all what-ifs, and a long capture sampled.
 */
import type { ActivityConfig } from '../activity/activity-config.ts';
import type { CoveredTime } from '../activity/timeline-agreement.ts';
import type { DeviceIdentifier } from '../inference/device-identifier.ts';
import type { ModelView } from '../inference/model-manifest.ts';
import type { WideDecision } from '../inference/wide-catalog.ts';
import { DefendedStream, defenceId, describeDefence, type Defence } from '../views/defences.ts';
import type { ViewPacket } from '../views/view-packet.ts';
import type { ActivityTimeline } from '../shared/audit-types.ts';
import {
  MIN_PACKETS_FOR_AVERAGE,
  OBSERVER_NAMES,
  type AuditOptions,
  type AuditProgress,
  type DeviceAudit,
  type ObserverAudit,
  type WhatIf,
  type WhatIfDevice,
} from './audit-types.ts';
import { analyzeCaptures } from './capture-analysis.ts';
import { activityExposure, deviceIdentity, hostNamesByMac, mean, rightlyRecognised } from './exposure.ts';
import { ObserverStream } from './observer-stream.ts';

/** Covered time a what-if reads packet by packet; a longer capture is sampled (see `whatIfSample`). */
export const WHATIF_SAMPLE_SECONDS = 24 * 3600;
/**
 * Length of one sampled block of a long capture: 6 h, read with a lead-in (below), so that the
 * activity tracker's learning at a block's start weighs little. On a week of the Ring doorbell
 * (test/bench/what-ifs.ts), 6-h blocks without the lead-in missed 3 of the 18 busy spans that
 * padding to 16 bytes leaves visible in the whole week; with it, none.
 */
export const WHATIF_BLOCK_SECONDS = 6 * 3600;
/**
 * Traffic read before each sampled block and not scored: the timelines' baselines and the models'
 * windows are warm when the block starts.
 */
export const WHATIF_LEAD_SECONDS = 3600;
/**
 * Most rows all what-ifs label together (every what-if's observer is fed in the one pass, and
 * labels its rows a batch at a time, so memory does not follow this: the work does). A busy home
 * reaches it before WHATIF_SAMPLE_SECONDS; the sample is then shortened to fit (`sampleBudget`).
 */
export const WHATIF_MAX_ROWS = 2_000_000;
/** Rows each what-if's observer labels at a time (below 2^15, as STREAM_BATCH_ROWS: NAPT features 5.8 MB each). */
export const WHATIF_BATCH_ROWS = 24_000;

/** The sample's length, block and lead-in for a batch, so that its rows stay within `maxRows`. */
export function sampleBudget(
  coveredSeconds: number,
  /** Rows a second of covered time gives all the what-ifs together (their views' packets and cover dummies). */
  rowsPerSecond: number,
  maxSeconds = WHATIF_SAMPLE_SECONDS,
  block = WHATIF_BLOCK_SECONDS,
  lead = WHATIF_LEAD_SECONDS,
  maxRows = WHATIF_MAX_ROWS,
): { maxSeconds: number; block: number; lead: number } {
  // what is read: the whole capture within the bound, else its blocks with their lead-ins
  const blocks = Math.max(1, Math.floor(maxSeconds / block));
  const readSeconds = coveredSeconds <= maxSeconds ? coveredSeconds : blocks * (block + lead);
  if (rowsPerSecond * readSeconds <= maxRows) return { maxSeconds, block, lead };
  // too many rows: four blocks, each with its lead-in in the same proportion, that fit
  const perBlock = maxRows / rowsPerSecond / 4;
  const shorter = (perBlock * block) / (block + lead);
  return { maxSeconds: 4 * shorter, block: shorter, lead: perBlock - shorter };
}

/**
 * The part of a capture the what-ifs score: null (all of it) when the covered time is at most
 * `maxSeconds`; otherwise `maxSeconds / block` blocks of `block` seconds of covered time, starting
 * at evenly spaced points of it (a block that reaches a gap goes on after it), in time order; each
 * is read with WHATIF_LEAD_SECONDS before it, not scored. Bounded work and memory whatever the capture's length; the error the
 * sample adds is measured in the what-if benchmark (test/bench/what-ifs.ts --error).
 */
export function whatIfSample(
  coverage: readonly CoveredTime[],
  maxSeconds = WHATIF_SAMPLE_SECONDS,
  block = WHATIF_BLOCK_SECONDS,
): CoveredTime[] | null {
  const stretches = coverage.filter((c) => c.end > c.start);
  const covered = stretches.reduce((a, c) => a + c.end - c.start, 0);
  if (covered <= maxSeconds) return null;
  // k blocks at evenly spaced points of the covered time (gaps left out); a block that reaches the
  // end of its stretch goes on in the next one, so short stretches still give whole blocks
  const k = Math.max(1, Math.floor(maxSeconds / block + 1e-9));
  const out: CoveredTime[] = [];
  let s = 0;
  let before = 0; // covered seconds before stretch s
  for (let i = 0; i < k; i++) {
    let at = (i * covered) / k;
    let left = block;
    // (a millisecond's rounding left over is no block)
    while (left > 1e-3 && s < stretches.length) {
      const c = stretches[s];
      const length = c.end - c.start;
      if (at >= before + length) {
        before += length;
        s++;
        continue;
      }
      const start = c.start + Math.max(0, at - before);
      const end = Math.min(c.end, start + left);
      if (end - start <= 1e-3) {
        // the stretch ends here, to rounding: go on in the next one
        before += length;
        s++;
        at = before;
        continue;
      }
      const last = out[out.length - 1];
      if (last !== undefined && last.end === start) last.end = end;
      else out.push({ start, end });
      left -= end - start;
      at = before + (end - c.start);
    }
  }
  return out;
}

/** The baseline a sampled what-if is compared with: the view as it is (padding to multiples of 1 byte changes nothing). */
const NO_DEFENCE: Defence = { kind: 'padding', multiple: 1 };

/** A device's figures without the defence on the same sample, from the undefended what-if. */
function sameSample(undefended: WhatIf | null, mac: string): WhatIfDevice['undefended'] {
  const u = undefended?.devices.find((x) => x.mac === mac);
  return u === undefined
    ? null
    : { recognisedShare: u.recognisedShare, spansSeen: u.spansSeen, spansTotal: u.spansTotal };
}

/** Index of the block holding `ts` (blocks in time order, not overlapping), or -1. */
function blockOf(blocks: readonly CoveredTime[], ts: number): number {
  let lo = 0;
  let hi = blocks.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ts < blocks[mid].start) hi = mid - 1;
    else if (ts >= blocks[mid].end) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** A timeline cut down to the spans and segments that overlap `blocks` (what a sampled what-if is compared with). */
export function clipTimeline(t: ActivityTimeline, blocks: readonly CoveredTime[]): ActivityTimeline {
  const within = (start: number, end: number): boolean => blocks.some((b) => start < b.end && b.start < end);
  return {
    ...t,
    segments: t.segments.filter((s) => within(s.start, s.end)),
    spans: t.spans.filter((s) => within(s.binStart, s.binEnd)),
  };
}

/** The what-ifs to run, and what each is compared with. */
export interface WhatIfBatch {
  paths: readonly string[];
  /** Each observer's model and the defences to try on its view, in the order they are reported. */
  runs: readonly { view: ModelView; defence: Defence; identifier: DeviceIdentifier }[];
  devices: readonly DeviceAudit[];
  /** The observer audits without the defence (each device keeps its class from there). */
  baseline: readonly ObserverAudit[];
  coverage: readonly CoveredTime[];
  options: AuditOptions;
  config: Partial<ActivityConfig>;
  /** Checked before each what-if is labelled: true ends the batch with those done. */
  shouldStop?: () => boolean;
  progress?: (p: AuditProgress) => void;
  /** WHATIF_SAMPLE_SECONDS, WHATIF_BLOCK_SECONDS, WHATIF_LEAD_SECONDS and WHATIF_MAX_ROWS unless given. */
  maxSampleSeconds?: number;
  sampleBlockSeconds?: number;
  leadSeconds?: number;
  maxRows?: number;
}

/** Each block with `lead` seconds before it, within the coverage, overlaps merged: what is read. */
export function withLead(
  blocks: readonly CoveredTime[],
  coverage: readonly CoveredTime[],
  lead: number,
): CoveredTime[] {
  const out: CoveredTime[] = [];
  for (const b of blocks) {
    const c = coverage.find((x) => x.start <= b.start && b.start < x.end);
    const start = Math.max(c?.start ?? b.start, b.start - lead);
    const last = out[out.length - 1];
    if (last !== undefined && start <= last.end) last.end = Math.max(last.end, b.end);
    else out.push({ start, end: b.end });
  }
  return out;
}

/**
 * Runs every what-if of the batch from one more pass over the capture files: each observer view is
 * built once and every defence of it is applied to the same packets. A capture longer than the
 * sample bound is looked at packet by packet in the sampled blocks only; outside them packets and
 * cover traffic are only counted, so the cost figures stay those of the whole capture.
 */
export async function runWhatIfs(batch: WhatIfBatch): Promise<WhatIf[]> {
  const { paths, devices, baseline, coverage, options, config } = batch;
  // rows a covered second gives: each run's view packets (with the undefended runs of a sample), and cover dummies
  const covered = coverage.reduce((a, c) => a + Math.max(0, c.end - c.start), 0);
  const packetsOf = (view: ModelView): number => baseline.find((o) => o.view === view)?.packets ?? 0;
  const viewsUsed = [...new Set(batch.runs.map((r) => r.view))];
  const rowsPerSecond =
    covered <= 0
      ? 0
      : (batch.runs.reduce((a, r) => a + packetsOf(r.view), 0) +
          viewsUsed.reduce((a, v) => a + packetsOf(v), 0)) /
          covered +
        batch.runs.reduce((a, r) => a + (r.defence.kind === 'cover' ? 2 * r.defence.packetsPerSecond : 0), 0);
  const budget = sampleBudget(
    covered,
    rowsPerSecond,
    batch.maxSampleSeconds,
    batch.sampleBlockSeconds,
    batch.leadSeconds,
    batch.maxRows,
  );
  const sample = whatIfSample(coverage, budget.maxSeconds, budget.block);
  const read = sample === null ? null : withLead(sample, coverage, budget.lead);
  const inSample = (ts: number): boolean => read === null || blockOf(read, ts) >= 0;
  // a sampled what-if is compared with the observer without the defence on the same sample
  const views = viewsUsed;
  const runs =
    sample === null
      ? batch.runs
      : [
          ...views.map((view) => ({
            view,
            defence: NO_DEFENCE,
            identifier: batch.runs.find((r) => r.view === view)!.identifier,
          })),
          ...batch.runs,
        ];
  const wideViews = new Set(
    baseline.filter((o) => o.devices.some((d) => d.identity.recognisedBy === 'wide')).map((o) => o.view),
  );
  const states = runs.map((r) => {
    const log = new ObserverStream(r.view, config, {
      batchRows: WHATIF_BATCH_ROWS,
      // the wider catalog's test reads a sample of each device's rows (a few hundred), where it
      // recognised a device: none is kept otherwise, so the per-packet path stays as it was
      samplePerDevice: wideViews.has(r.view) ? (r.identifier.wide?.file.rowsPerDevice ?? 0) : 0,
      categories: false,
      // a what-if reads the devices' answers only: cover packets far from any are not labelled
      deviceRowsOnly: true,
    });
    let block = -2;
    let segments = 0;
    const stream = new DefendedStream(r.defence, r.view, options.vpnProfile, inSample);
    let fresh = true;
    const add = (vp: ViewPacket): void => {
      // a new capture segment restarts the features, as in the audit; a sampled block starts a new
      // run of the model's windows, the features going on from every packet before it
      if (fresh) {
        log.startSegment(segments++);
        fresh = false;
        block = -2;
      }
      const b = read === null ? 0 : blockOf(read, vp.ts);
      if (b < 0) {
        log.observe(vp);
        return;
      }
      if (b !== block) {
        if (block !== -2) log.startRun(segments++);
        block = b;
      }
      log.add(vp);
    };
    return {
      run: r,
      log,
      stream,
      push: (vp: ViewPacket): void => {
        stream.push(vp, add);
      },
      reset: (): void => {
        stream.reset();
        fresh = true;
      },
    };
  });
  // asked once before the shared pass, then before each what-if is labelled
  if (batch.shouldStop?.() === true) return [];
  batch.progress?.({ stage: 'what ifs: reading the capture again', fraction: 0, packets: 0 });
  await analyzeCaptures(paths, {
    groundTruth: options.groundTruth ?? null,
    views,
    viewOptions: { profile: options.vpnProfile },
    onViewPacket: (v, vp) => {
      for (const s of states) if (s.run.view === v) s.push(vp);
    },
    onSegmentStart: () => {
      for (const s of states) s.reset();
    },
    // each what-if's observer labels its full batches while the pass waits: one after the other
    // per view (one model's worker), the two views side by side
    afterBatch: () => {
      const full = states.filter((s) => s.log.full);
      if (full.length === 0) return undefined;
      return Promise.all(
        views.map(async (view) => {
          for (const s of full) if (s.run.view === view) await s.log.drain(s.run.identifier);
        }),
      ).then(() => undefined);
    },
    onProgress: (p) => {
      batch.progress?.({
        stage: 'what ifs: reading the capture again',
        fraction: p.fraction,
        packets: p.packets,
      });
    },
  });
  const compared = sample ?? coverage;
  const out: WhatIf[] = [];
  const undefended = new Map<ModelView, WhatIf>();
  const pending: ((typeof states)[number] | null)[] = states;
  for (let i = 0; i < pending.length; i++) {
    const s = pending[i]!;
    if (batch.shouldStop?.() === true) break;
    const plain = s.run.defence === NO_DEFENCE;
    if (!plain)
      batch.progress?.({
        stage: `what if: ${describeDefence(s.run.defence)} (${OBSERVER_NAMES[s.run.view]})`,
        fraction: null,
        packets: 0,
      });
    const scored = await scoreWhatIf(
      s.run,
      s.log,
      s.stream,
      devices,
      baseline,
      compared,
      sample,
      coverage,
      config,
      plain ? null : (undefended.get(s.run.view) ?? null),
    );
    // the undefended runs (first, one per view) are what the sampled what-ifs compare with
    if (plain) undefended.set(s.run.view, scored);
    else out.push(scored);
    // its rows are done with: let them go before the next what-if is labelled
    pending[i] = null;
  }
  return out;
}

async function scoreWhatIf(
  run: WhatIfBatch['runs'][number],
  log: ObserverStream,
  stream: DefendedStream,
  devices: readonly DeviceAudit[],
  baseline: readonly ObserverAudit[],
  compared: readonly CoveredTime[],
  sample: readonly CoveredTime[] | null,
  coverage: readonly CoveredTime[],
  config: Partial<ActivityConfig>,
  /** The same view without the defence on the same sample (sampled what-ifs only). */
  undefended: WhatIf | null,
): Promise<WhatIf> {
  const { view, defence, identifier } = run;
  await log.drain(identifier, true);
  const labelled = log.labelled(true);
  const timing = log.timelines(true);
  const base = baseline.find((o) => o.view === view)!;
  const rows: WhatIfDevice[] = [];
  const counted: WhatIfDevice[] = [];
  const recognisedRows: WhatIfDevice[] = [];
  // the wider catalog's test run again on the defended traffic, for the devices it recognised
  const wide = base.devices.some((r) => r.identity.recognisedBy === 'wide')
    ? log.wideDecisions(identifier.wide, hostNamesByMac(devices))
    : new Map<number, WideDecision>();
  for (const d of devices) {
    const identity = deviceIdentity(identifier, log.log, labelled, d);
    // The device keeps the class it has without the defence (the observer looks for the same device).
    const plain = base.devices.find((r) => r.mac === d.mac)!.identity;
    const cls = plain.className === null ? -1 : identifier.labels.indexOf(plain.className);
    const answers = labelled.answers.get(log.log.indexOfMac(d.mac));
    // by the wider catalog: the share its forest still gives the kind, when the whole test still passes
    const widely = plain.recognisedBy === 'wide' ? (wide.get(log.log.indexOfMac(d.mac)) ?? null) : null;
    const recognised =
      plain.recognisedBy === 'wide'
        ? widely?.kind != null && widely.kind === plain.topModelClass
          ? widely.share
          : 0
        : cls < 0 || answers === undefined || identity.packets === 0
          ? 0
          : answers[cls] / identity.packets;
    // activity from the defended timing, apart from what the model now calls the packets
    const own = timing.get(log.log.indexOfMac(d.mac)) ?? null;
    const exposure =
      sample === null
        ? activityExposure(d.truth, own, compared)
        : activityExposure(
            clipTimeline(d.truth, sample),
            own === null ? null : clipTimeline(own, sample),
            compared,
          );
    const row = {
      mac: d.mac,
      recognisedShare: recognised,
      agreement: exposure.agreement,
      busyRecall: exposure.busyRecall,
      spansSeen: exposure.spansSeen,
      spansTotal: exposure.spansTotal,
      undefended: sameSample(undefended, d.mac),
    };
    rows.push(row);
    if (identity.packets >= MIN_PACKETS_FOR_AVERAGE) {
      counted.push(row);
      // recognition is measured on the devices the catalog recognises without the defence
      if (rightlyRecognised(plain)) recognisedRows.push(row);
    }
  }
  const extra = stream.stats.bytesAfter - stream.stats.bytesBefore;
  const seconds = (c: readonly CoveredTime[]): number => c.reduce((a, x) => a + x.end - x.start, 0);
  const figures = {
    meanRecognisedShare: mean(recognisedRows.map((r) => r.recognisedShare)),
    spansSeen: rows.reduce((a, r) => a + r.spansSeen, 0),
    spansTotal: rows.reduce((a, r) => a + r.spansTotal, 0),
  };
  return {
    id: `${view}-${defenceId(defence)}`,
    view,
    observer: OBSERVER_NAMES[view],
    defence,
    description: describeDefence(defence),
    costShare: stream.stats.bytesBefore === 0 ? 0 : extra / stream.stats.bytesBefore,
    extraBytes: extra,
    dummyPackets: stream.stats.dummyPackets,
    rows: log.rows,
    meanAgreement: mean(counted.map((r) => r.agreement)),
    ...figures,
    sample:
      sample === null
        ? null
        : {
            seconds: seconds(sample),
            ofSeconds: seconds(coverage),
            blocks: sample.length,
            // the undefended run itself (scored with none) is its own baseline
            undefended:
              undefended === null
                ? figures
                : {
                    meanRecognisedShare: undefended.meanRecognisedShare,
                    spansSeen: undefended.spansSeen,
                    spansTotal: undefended.spansTotal,
                  },
          },
    devices: rows,
  };
}
