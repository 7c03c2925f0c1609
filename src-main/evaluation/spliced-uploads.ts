/**
 * The spliced-upload test: does the busy detector find every upload of a camera that sleeps
 * between them, at times no timer explains, however many similar uploads came before?
 *
 * Built only from real traffic of the MADEA home, by rules fixed before any score was seen:
 *  - **Donor cameras**: devices of labels.csv in the category `camera` that sleep (internet
 *    traffic in under SLEEPER_MAX_ACTIVE_SHARE of the covered 10-s bins) and upload at least
 *    MIN_DONOR_BURSTS times. A camera that streams all day is not this test's case.
 *  - **Upload bursts**, found by a rule that knows nothing of the detector (UPLOAD_RULE): at least
 *    20 kB up to the internet within 2 min, after 3 min with under 2 kB up; the burst lasts until
 *    60 s pass with under 1 kB of the camera's internet traffic, at most 10 min. The camera's
 *    frames from DONOR_LEAD_SECONDS before a burst to its end, both directions and LAN included,
 *    are one donor.
 *  - **Host**: the same camera's own traffic over all the covered time, its natural bursts left in
 *    place.
 *  - **Splice**: copies of the donors (drawn by a seeded generator) at gaps drawn uniformly from
 *    INSERT_GAP_SECONDS, each at least INSERT_MARGIN_SECONDS from every natural burst, from the
 *    copy before it and from the edges of continuous coverage. Only time stamps are shifted.
 * The spliced traffic is written as a pcap file and read by the same audit as `telltale analyze`:
 * the camera's truth timeline (LAN side) and its NAPT and VPN observer timelines. An inserted
 * upload is **found** when a busy span (not a routine one) overlaps it, give or take
 * MATCH_SECONDS. A busy span that overlaps no inserted and no natural burst is a **false** one.
 * The rest of the home is left out: each timeline reads only the device's own packets.
 *
 * Beside it, the unspliced home's truth timelines give the busy time of every labelled device, so
 * that a detector finding more uploads is also seen to keep the home's plugs, bulbs and sensors
 * quiet.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActivityConfig } from '../activity/activity-config.ts';
import type { BusySpan } from '../activity/activity-timeline.ts';
import { runHomeAudit } from '../audit/home-audit.ts';
import { readCaptureFile } from '../capture/capture-file.ts';
import type { RawPacket } from '../capture/packet-source.ts';
import { writePcapFile } from '../capture/pcap-writer.ts';
import { decodePacket } from '../decode/decode-packet.ts';
import { isPublicIp } from '../devices/address-scope.ts';
import { GroundTruth } from '../devices/ground-truth.ts';
import type { ModelView } from '../inference/model-manifest.ts';
import type { TunnelProfileName } from '../views/tunnel-profiles.ts';
import { mulberry32 } from '../views/seeded-random.ts';
import { EVENT_MATCH_SECONDS } from './activity-evaluation.ts';
import { madeaCaptures } from './datasets.ts';

/** Bin of the burst rule and of the sleeper test, seconds. */
export const BURST_BIN_SECONDS = 10;

/** The upload-burst rule (see the module comment). */
export const UPLOAD_RULE = {
  /** Bytes up to the internet within `windowSeconds` of the burst's first bin. */
  minUpBytes: 20_000,
  windowSeconds: 120,
  /** Before the burst: `quietSeconds` with under `quietMaxUpBytes` up. */
  quietSeconds: 180,
  quietMaxUpBytes: 2_000,
  /** The burst ends at the first `endQuietSeconds` with under `endQuietMaxBytes` of internet traffic. */
  endQuietSeconds: 60,
  endQuietMaxBytes: 1_000,
  maxSeconds: 600,
} as const;

/** A camera sleeps when it has internet traffic in under this share of the covered 10-s bins. */
export const SLEEPER_MAX_ACTIVE_SHARE = 0.1;
/** Bursts a sleeping camera needs to be a donor. */
export const MIN_DONOR_BURSTS = 3;
/** A donor starts this long before its burst (the wake-up: DNS, connection set-up). */
export const DONOR_LEAD_SECONDS = 10;
/** Gaps between inserted uploads are drawn uniformly from this range, seconds. */
export const INSERT_GAP_SECONDS: readonly [number, number] = [10 * 60, 50 * 60];
/** Least distance of an inserted upload from natural bursts, other copies and coverage edges. */
export const INSERT_MARGIN_SECONDS = 15 * 60;
/** Slack of the match between an upload and a busy span, seconds (the phase-labelled captures' too). */
export const MATCH_SECONDS = EVENT_MATCH_SECONDS;
/** Files further apart than this are separate stretches of coverage. */
export const COVERAGE_JOIN_SECONDS = 60;
/** Seeds of the splice schedules: each gives one spliced capture per donor camera. */
export const SPLICE_SEEDS: readonly number[] = [0x5911ce, 0x5911cf, 0x5911d0, 0x5911d1, 0x5911d2];
/** Categories of labels.csv whose busy time is the "quiet devices" check. */
export const QUIET_CATEGORIES: readonly string[] = ['plug', 'bulb', 'thermostat', 'smoke-detector', 'sensor'];
/** Busy time a quiet device should stay under. */
export const QUIET_MAX_BUSY_SHARE = 0.01;

/** A device's internet traffic in one 10-s bin. */
export interface BinBytes {
  up: number;
  total: number;
}

/** A stretch of time, seconds. */
export interface Interval {
  start: number;
  end: number;
}

export interface UploadBurst extends Interval {
  bytesUp: number;
}

/** The upload bursts of one device's 10-s bins (keys: floor(ts / BURST_BIN_SECONDS)), in time order. */
export function uploadBursts(
  bins: ReadonlyMap<number, BinBytes>,
  rule: typeof UPLOAD_RULE = UPLOAD_RULE,
): UploadBurst[] {
  const w = BURST_BIN_SECONDS;
  const up = (from: number, to: number): number => {
    let s = 0;
    for (let b = from; b < to; b++) s += bins.get(b)?.up ?? 0;
    return s;
  };
  const total = (from: number, to: number): number => {
    let s = 0;
    for (let b = from; b < to; b++) s += bins.get(b)?.total ?? 0;
    return s;
  };
  const keys = [...bins.keys()].sort((a, b) => a - b);
  const bursts: UploadBurst[] = [];
  let after = -Infinity;
  for (const b of keys) {
    if (b < after || (bins.get(b)?.up ?? 0) === 0) continue;
    if (up(b - rule.quietSeconds / w, b) >= rule.quietMaxUpBytes) continue;
    if (up(b, b + rule.windowSeconds / w) < rule.minUpBytes) continue;
    const last = b + rule.maxSeconds / w;
    // the burst holds at least the bins that reach the upload threshold
    let end = b + 1;
    while (up(b, end) < rule.minUpBytes) end++;
    while (end < last && total(end, end + rule.endQuietSeconds / w) >= rule.endQuietMaxBytes) end++;
    bursts.push({ start: b * w, end: end * w, bytesUp: up(b, end) });
    after = end;
  }
  return bursts;
}

/** Intervals merged where they overlap or lie within `join` seconds of each other. */
export function mergeIntervals(intervals: readonly Interval[], join = COVERAGE_JOIN_SECONDS): Interval[] {
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && i.start <= last.end + join) last.end = Math.max(last.end, i.end);
    else out.push({ ...i });
  }
  return out;
}

/** Where one donor's copy goes: its interval in the spliced capture and which donor it is. */
export interface Insertion extends Interval {
  donor: number;
}

/**
 * The splice schedule: gaps drawn uniformly from `gaps`, each copy of a donor (drawn uniformly,
 * donor i lasting `durations[i]` seconds) kept only where it lies inside a coverage stretch with
 * `margin` to spare and at least `margin` from every natural burst and from the copy before it.
 */
export function spliceSchedule(
  coverage: readonly Interval[],
  natural: readonly Interval[],
  durations: readonly number[],
  seed = SPLICE_SEEDS[0],
  gaps: readonly [number, number] = INSERT_GAP_SECONDS,
  margin = INSERT_MARGIN_SECONDS,
): Insertion[] {
  if (coverage.length === 0 || durations.length === 0) return [];
  const random = mulberry32(seed);
  const out: Insertion[] = [];
  const end = Math.max(...coverage.map((c) => c.end));
  let t = Math.min(...coverage.map((c) => c.start));
  let previousEnd = -Infinity;
  while (t < end) {
    t += gaps[0] + random() * (gaps[1] - gaps[0]);
    const donor = Math.floor(random() * durations.length);
    const at: Insertion = { start: t, end: t + durations[donor], donor };
    const inside = coverage.some((c) => at.start >= c.start + margin && at.end <= c.end - margin);
    const clear =
      at.start >= previousEnd + margin &&
      natural.every((n) => at.end + margin <= n.start || at.start >= n.end + margin);
    if (inside && clear) {
      out.push(at);
      previousEnd = at.end;
    }
  }
  return out;
}

/** How one timeline of the spliced camera did. */
export interface SplicedTimelineScore {
  timeline: 'truth' | ModelView;
  inserted: number;
  found: number;
  /** Inserted uploads not found: a routine span lies on this many of them; none on the rest. */
  missedAsRoutine: number;
  missedUnseen: number;
  /** Natural bursts with a busy (not routine) span on them. */
  naturalBusy: number;
  /** Busy spans overlapping no inserted and no natural burst, and per covered hour. */
  falseSpans: number;
  falsePerHour: number;
}

/** Whether a busy (not routine) span overlaps `i`, give or take `slack` seconds. */
function busyOn(spans: readonly BusySpan[], i: Interval, slack: number): boolean {
  return spans.some((s) => !s.routine && s.start < i.end + slack && s.end > i.start - slack);
}

/** Scores one timeline's busy spans against the inserted and natural bursts. */
export function scoreSplicedTimeline(
  timeline: SplicedTimelineScore['timeline'],
  spans: readonly BusySpan[],
  inserted: readonly Interval[],
  natural: readonly Interval[],
  coveredHours: number,
  slack = MATCH_SECONDS,
): SplicedTimelineScore {
  const known = [...inserted, ...natural];
  const falseSpans = spans.filter(
    (s) => !s.routine && !known.some((i) => s.start < i.end + slack && s.end > i.start - slack),
  ).length;
  const missed = inserted.filter((i) => !busyOn(spans, i, slack));
  const routineOn = (i: Interval): boolean =>
    spans.some((s) => s.routine && s.start < i.end + slack && s.end > i.start - slack);
  return {
    timeline,
    inserted: inserted.length,
    found: inserted.length - missed.length,
    missedAsRoutine: missed.filter(routineOn).length,
    missedUnseen: missed.filter((i) => !routineOn(i)).length,
    naturalBusy: natural.filter((i) => busyOn(spans, i, slack)).length,
    falseSpans,
    falsePerHour: coveredHours > 0 ? falseSpans / coveredHours : 0,
  };
}

/** A camera of labels.csv and why it is or is not a donor. */
export interface SpliceCamera {
  device: string;
  mac: string;
  /** Share of the covered 10-s bins with internet traffic of the camera. */
  activeShare: number;
  bursts: UploadBurst[];
  donor: boolean;
  /** Plain words: why not a donor (null for a donor). */
  reason: string | null;
}

/** One spliced capture: a donor camera's traffic with copies of its uploads on one seed's schedule. */
export interface SplicedCameraResult {
  device: string;
  seed: number;
  /** The camera's own packets before and after the splice. */
  packets: number;
  splicedPackets: number;
  insertions: (Insertion & { bytesUp: number })[];
  scores: SplicedTimelineScore[];
}

export interface QuietDeviceBusy {
  device: string;
  category: string;
  /** Busy (not routine) time of its truth timeline over the covered time. */
  busyShare: number;
  /** The same for the busy spans with traffic to or from the internet (LAN-only spans left out). */
  internetBusyShare: number;
}

export interface SplicedUploadEvaluation {
  files: number;
  coveredHours: number;
  coverage: Interval[];
  cameras: SpliceCamera[];
  results: SplicedCameraResult[];
  /** Every labelled device of the unspliced home, in labels.csv order (QUIET_CATEGORIES marks the quiet ones). */
  devices: QuietDeviceBusy[];
  seconds: number;
}

/** Busy (not routine) seconds of a timeline's spans. */
function busySeconds(spans: readonly BusySpan[]): number {
  return spans.filter((s) => !s.routine).reduce((sum, s) => sum + (s.binEnd - s.binStart), 0);
}

/** Busy (not routine) seconds of the spans with traffic to or from the internet. */
function internetBusySeconds(spans: readonly BusySpan[]): number {
  return busySeconds(spans.filter((s) => s.bytesUp + s.bytesDown > 0));
}

/** Reads every capture once, keeping what `onPacket` wants; returns each file's first and last time stamp. */
async function readAll(
  files: readonly string[],
  onPacket: (
    p: RawPacket,
    srcMac: string | null,
    dstMac: string | null,
    up: boolean,
    internet: boolean,
  ) => void,
): Promise<Interval[]> {
  const spans: Interval[] = [];
  for (const file of files) {
    let first = Infinity;
    let last = -Infinity;
    const { errors } = await readCaptureFile(file, (batch) => {
      for (const p of batch) {
        first = Math.min(first, p.ts);
        last = Math.max(last, p.ts);
        const d = decodePacket(p);
        const dstPublic = d.dstIp !== null && isPublicIp(d.dstIp);
        const srcPublic = d.srcIp !== null && isPublicIp(d.srcIp);
        onPacket(p, d.srcMac, d.dstMac, dstPublic && !srcPublic, dstPublic || srcPublic);
      }
    });
    // a damaged file (MADEA has cut-off ones) keeps the packets before the damage, as everywhere
    if (errors.some((e) => e.fatal && e.kind !== 'truncated'))
      throw new Error(`spliced-upload test: ${errors.find((e) => e.fatal)!.message}`);
    if (first <= last) spans.push({ start: first, end: last });
  }
  return spans;
}

/** Runs the spliced-upload test on the MADEA home (see the module comment). */
export async function evaluateSplicedUploads(options: {
  datasetsDir: string;
  modelsDir: string | null;
  vpnProfile?: TunnelProfileName;
  config?: Partial<ActivityConfig>;
  /** Default SPLICE_SEEDS and INSERT_GAP_SECONDS. */
  seeds?: readonly number[];
  gaps?: readonly [number, number];
}): Promise<SplicedUploadEvaluation> {
  const t0 = Date.now();
  const { captures, labels } = madeaCaptures(options.datasetsDir);
  const groundTruth = GroundTruth.loadSync(labels);
  const cameraEntries = groundTruth.entries.filter((e) => e.category.trim().toLowerCase() === 'camera');
  const binsOf = new Map<string, Map<number, BinBytes>>(cameraEntries.map((e) => [e.mac, new Map()]));
  // pass 1: each camera's internet bytes per 10-s bin, and the coverage
  const fileSpans = await readAll(captures, (p, src, dst, up, internet) => {
    if (!internet) return;
    for (const mac of [src, dst]) {
      const bins = mac === null ? undefined : binsOf.get(mac);
      if (bins === undefined) continue;
      const b = Math.floor(p.ts / BURST_BIN_SECONDS);
      const cell = bins.get(b) ?? { up: 0, total: 0 };
      if (mac === src && up) cell.up += p.origLen;
      cell.total += p.origLen;
      bins.set(b, cell);
    }
  });
  const coverage = mergeIntervals(fileSpans);
  const coveredSeconds = coverage.reduce((s, c) => s + (c.end - c.start), 0);
  const coveredBins = coveredSeconds / BURST_BIN_SECONDS;
  const cameras: SpliceCamera[] = cameraEntries.map((e) => {
    const bins = binsOf.get(e.mac)!;
    const activeShare = coveredBins > 0 ? bins.size / coveredBins : 0;
    const bursts = uploadBursts(bins);
    const sleeps = activeShare < SLEEPER_MAX_ACTIVE_SHARE;
    const donor = sleeps && bursts.length >= MIN_DONOR_BURSTS;
    return {
      device: e.device,
      mac: e.mac,
      activeShare,
      bursts,
      donor,
      reason: donor
        ? null
        : !sleeps
          ? `never sleeps (internet traffic in ${(100 * activeShare).toFixed(0)} % of its 10-s bins)`
          : `${bursts.length} upload burst${bursts.length === 1 ? '' : 's'} (fewer than ${MIN_DONOR_BURSTS})`,
    };
  });
  const donors = cameras.filter((c) => c.donor);
  // pass 2: the donor cameras' own frames
  const framesOf = new Map<string, RawPacket[]>(donors.map((c) => [c.mac, []]));
  let linkType: number | null = null;
  await readAll(captures, (p, src, dst) => {
    const frames =
      (src !== null ? framesOf.get(src) : undefined) ?? (dst !== null ? framesOf.get(dst) : undefined);
    if (frames === undefined) return;
    linkType ??= p.linkType;
    if (p.linkType === linkType) frames.push(p);
  });
  const coveredHours = coveredSeconds / 3600;
  const results: SplicedCameraResult[] = [];
  const workDir = mkdtempSync(join(tmpdir(), 'telltale-splice-'));
  try {
    const observers: ModelView[] = options.modelsDir === null ? [] : ['napt', 'vpn'];
    for (const camera of donors) {
      const frames = framesOf.get(camera.mac)!;
      const donorFrames = camera.bursts.map((b) =>
        frames.filter((p) => p.ts >= b.start - DONOR_LEAD_SECONDS && p.ts < b.end),
      );
      const durations = camera.bursts.map((b) => b.end - (b.start - DONOR_LEAD_SECONDS));
      for (const seed of options.seeds ?? SPLICE_SEEDS) {
        const schedule = spliceSchedule(coverage, camera.bursts, durations, seed, options.gaps);
        const spliced = [...frames];
        for (const at of schedule) {
          const offset = at.start - (camera.bursts[at.donor].start - DONOR_LEAD_SECONDS);
          for (const p of donorFrames[at.donor]) spliced.push({ ...p, ts: p.ts + offset });
        }
        spliced.sort((a, b) => a.ts - b.ts);
        const file = join(workDir, `${camera.mac.replaceAll(':', '')}-${seed}.pcap`);
        writePcapFile(file, spliced, linkType ?? 1);
        const { audit } = await runHomeAudit([file], {
          modelsDir: options.modelsDir ?? undefined,
          observers,
          groundTruth,
          vpnProfile: options.vpnProfile,
          activity: options.config,
        });
        rmSync(file, { force: true });
        const truth = audit.devices.find((d) => d.mac === camera.mac)?.truth.spans ?? [];
        const scores = [scoreSplicedTimeline('truth', truth, schedule, camera.bursts, coveredHours)];
        for (const o of audit.observers) {
          const spans = o.devices.find((x) => x.mac === camera.mac)?.inferred?.spans ?? [];
          scores.push(scoreSplicedTimeline(o.view, spans, schedule, camera.bursts, coveredHours));
        }
        results.push({
          device: camera.device,
          seed,
          packets: frames.length,
          splicedPackets: spliced.length,
          insertions: schedule.map((x) => ({ ...x, bytesUp: camera.bursts[x.donor].bytesUp })),
          scores,
        });
      }
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  // the unspliced home's truth timelines: busy time of every labelled device
  const { audit } = await runHomeAudit(captures, { observers: [], groundTruth, activity: options.config });
  const homeSeconds = audit.coverage.reduce((s, c) => s + (c.end - c.start), 0);
  const devices: QuietDeviceBusy[] = [];
  for (const d of audit.devices) {
    if (d.trueLabel === null) continue;
    const i = groundTruth.labels.indexOf(d.trueLabel);
    devices.push({
      device: d.trueLabel,
      category: i >= 0 ? groundTruth.categories[i] : '',
      busyShare: homeSeconds > 0 ? busySeconds(d.truth.spans) / homeSeconds : 0,
      internetBusyShare: homeSeconds > 0 ? internetBusySeconds(d.truth.spans) / homeSeconds : 0,
    });
  }
  devices.sort((a, b) => groundTruth.labels.indexOf(a.device) - groundTruth.labels.indexOf(b.device));
  return {
    files: captures.length,
    coveredHours,
    coverage,
    cameras,
    results,
    devices,
    seconds: (Date.now() - t0) / 1000,
  };
}
