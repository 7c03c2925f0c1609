/**
 * Activity states and every threshold of the per-device activity state machine, in one place:
 * what each one means and the rule its value follows. What was measured on MADEA to choose and
 * check the values, and what was tried and rejected, is in CALIBRATION.md beside this file
 * (`npx tsx test/bench/activity-calibration.ts [--config JSON]` reruns the measurement).
 *
 * A device's traffic is cut into fixed bins of `binSeconds` on the absolute time grid
 * (`floor(ts / binSeconds)`), so two timelines of the same home (truth and observer) share their
 * bin edges. For each closed bin the tracker knows its packet and byte counts; from these it
 * decides three states:
 *
 *  - **asleep**: nothing, or only rare keep-alives — fewer than `idleEnterActiveBins` of the last
 *    `activityWindowBins` bins hold a packet;
 *  - **idle**: a regular background heartbeat — enough bins of the window hold a packet
 *    (hysteresis: back to asleep only when at most `asleepEnterActiveBins` do);
 *  - **busy**: working (streaming, uploading, updating, answering a command) — the bin's bytes or
 *    packets are well above the device's own baseline *and* above an absolute floor, or the bin
 *    holds packets of kinds the device's background traffic lacks (see "Unusual packets" below).
 *
 * The state windows (5 min, 3 active bins to be idle) follow from the definitions: a 30–60 s
 * heartbeat fills 5–10 of 30 bins, a keep-alive every 5 min or rarer at most 1–2.
 *
 * Baseline and envelope. The baseline is the running median (`baselineQuantile`) of the byte and
 * packet counts of the device's last `baselineHistoryBins` non-empty bins. Empty bins are left out
 * so that a device heartbeating every 30–60 s (most 10-s bins empty) gets the size of one
 * heartbeat as baseline rather than zero; a camera that always streams a little gets its
 * streaming level. The routine envelope (`envelopeQuantile`, the 99th percentile of the same
 * history) stands for the device's own recurring bursts (reconnects, periodic syncs); it is used
 * from 100 bins (`envelopeMinBins`), the least history for which a 99th percentile is more than
 * the single largest value.
 *
 * Busy thresholds (a bin, or a bin and the one before it, must pass all of them):
 *  - `enterFactor` 6 × the baseline: plugs and bulbs still show their commands (a few an hour)
 *    while a camera whose streaming *is* its baseline is not busy much of the time;
 *  - `enterFloorBytes` / `enterFloorPackets` 2 kB or 20 packets, about four median plug
 *    heartbeats: one TLS handshake with a certificate chain (2–6 kB) or a burst of 20 packets is
 *    work, two heartbeats in one bin are not;
 *  - `envelopeFactor` 2 × the envelope, so a device's recurring bursts are not busy each time: 2 ×
 *    because a 99th percentile from a few hundred bins is close to a maximum and varies about
 *    twofold between hours;
 *  - exit at half the enter thresholds (hysteresis), and only after `exitHoldBins` quiet bins
 *    (30 s), so traffic flickering around the threshold does not split one activity into spans.
 *
 * What is volume. Network plumbing (frames that are not IP, ICMP, DHCP, DNS) and connection
 * attempts refused with a reset or "unreachable", with their refusals, show a device awake (they
 * count for asleep / idle) but are never volume, novel or background (activity/uncounted-packets.ts):
 * they carry nothing a person did, and a device that cannot reach its cloud sends little else,
 * every few seconds for as long as that lasts (CALIBRATION.md, "Plumbing and refusals").
 *
 * Events stay events: a bin inside a busy span teaches the device's background nothing (baseline,
 * envelope, packet kinds), so a battery camera's clip uploads or a plug's commands are busy every
 * time, however often they come; a busy stretch longer than `eventMaxBins` (an hour) is a new
 * normal and does count (CALIBRATION.md, "Events stay events").
 *
 * Routine bursts. Many devices do a larger exchange on a timer of their own — a cloud sync every
 * 5 min, a check-in every 25 min — that crosses the busy thresholds but is background work, not
 * the device working for someone. Three busy spans of similar size whose starts are evenly spaced
 * (`routineMinFirings`) start a routine only if they are a clean series: no other span of that
 * size, the device's own doing, lies off their grid between them or in the two periods before,
 * except a consistent second timer (at least two spans at one offset from the grid, as the NKU
 * plug's two 5-minute syncs a minute apart). Uploads at random times that happen to line up in
 * threes have others around them; a timer does not. Once learned, a later span of similar size due
 * on the schedule (one missed firing at most) is routine too, and so is every still remembered
 * earlier pair one period apart with nothing off the grid between them (its first firings). A
 * similar span off the schedule is a stray; when strays exceed one per four firings, the routine
 * was events that lined up and is forgotten. Routine spans stay in the timeline as evidence
 * (`routine: true`, with their period) but their time counts as idle (CALIBRATION.md, "Spliced
 * uploads").
 *  - `routineLearnTolerance` 1 % of the period, at least `routineToleranceMinSeconds` (10 s): the
 *    two intervals between the firings that teach a routine may differ by that much. Device timers
 *    recur to within a second or two (the Tuya check-ins 1499–1501 s); events at random times fall
 *    within 1 % of each other rarely;
 *  - `routinePeriodTolerance` 5 %, at least 10 s: how late or early a known routine's next firing
 *    may be (an hourly sync drifts by up to 2 minutes, a failed sync retries a little later); a
 *    person repeating an action every few minutes is off by tens of seconds;
 *  - `routineVolumeRatio` 2 (largest span at most 2 × the smallest): a sync's payload grows or
 *    shrinks a little; a different kind of exchange differs more;
 *  - periods from 2 min (shorter ones are one activity, joined by the exit hold) to 6 h;
 *  - a timer of the device's own is the device speaking first: a span that starts out of silence
 *    (no packet to or from the internet in the 10 s before it) with a packet from the far end — a
 *    command its cloud pushed — is never a routine, however regular (a person or an automation is
 *    behind it; in the SSI plug's scripted session, schedule actions five minutes apart).
 *
 * Unusual packets. Volume misses the small work of small devices: a plug switched from its app
 * gets one command from the cloud and answers with one status report — 0.5–1 kB, less than two of
 * its own heartbeats. What gives it away is that its sizes are not the heartbeat's: encrypted IoT
 * traffic repeats the same few packet sizes while nothing happens. activity/packet-kinds.ts keeps,
 * per device, in which of its last `noveltyHistoryWindows` windows with traffic each kind of
 * packet (direction × size bucket) was seen; a kind seen in at least `noveltyFamiliarShare` of
 * them is background, any other packet is novel. A bin with at least `noveltyEnterPackets` novel
 * packets carrying at least `noveltyBaselineFactor` × the byte baseline starts a busy span ("…,
 * unlike its usual traffic"); a novel packet keeps one going like a warm bin. Only packets to or
 * from the internet count: LAN-only packets (DHCP renewals, mDNS and SSDP announcements, ARP) are
 * the home network's housekeeping and what an outside observer never sees. The numbers follow
 * from definitions:
 *  - windows of 5 min hold one beat of any heartbeat of up to 5 min;
 *  - 24 windows (2 h of traffic), a third of them for familiar: a kind is background when it shows
 *    at least every 15 minutes or so; rarer timers (25-minute check-ins, hourly syncs) are left to
 *    the routine rule, which sees them once they recur;
 *  - nothing is novel before 12 windows (an hour) were seen: a new device has no background yet;
 *  - two packets, because one stray packet (a retransmission, a late acknowledgement) is not an
 *    exchange, carrying at least a typical bin of the device's traffic (1 × its byte baseline), so
 *    a small device's hourly DNS and time lookups are not work;
 *  - 8-byte buckets keep one message type's few-byte length jitter in one kind while telling a
 *    123-byte heartbeat from a 235-byte status report.
 *
 * Known limits: an activity that fills more than 1 % of the remembered bins becomes part of the
 * envelope, so the same transfer repeated within a few hours may not start a new busy span; a
 * device's part in an action as small as its routine reconnects (a Tuya plug's on / off command,
 * 3–6 kB) is not told apart from them by rates alone.
 */

import type { ActivityState } from '../shared/audit-types.ts';

export type { ActivityState };
/** States in a fixed order (index = state code in agreement matrices). */
export const ACTIVITY_STATES: readonly ActivityState[] = ['asleep', 'idle', 'busy'];

export interface ActivityConfig {
  /** Width of one rate bin in seconds; bins lie on the absolute grid floor(ts / binSeconds). */
  binSeconds: number;
  /** Non-empty bins remembered for the baseline (a ring; older ones are forgotten). */
  baselineHistoryBins: number;
  /** Non-empty bins needed before the baseline is used; before that only the absolute floors count. */
  baselineMinBins: number;
  /** Quantile of the remembered non-empty bins taken as the baseline (0.5 = median). */
  baselineQuantile: number;
  /** Quantile of the remembered non-empty bins taken as the device's routine envelope (its regular bursts). */
  envelopeQuantile: number;
  /** Non-empty bins needed before the envelope is used (a percentile of fewer values is just their maximum). */
  envelopeMinBins: number;
  /** Busy starts only above envelopeFactor × envelope (0 turns the envelope off) ... */
  envelopeFactor: number;
  /** ... and when a bin (or a bin and the one before it) reaches enterFactor × baseline ... */
  enterFactor: number;
  /** ... and at least this many bytes per bin ... */
  enterFloorBytes: number;
  /** ... or, the same for packets: enterFactor × packet baseline and at least this many packets. */
  enterFloorPackets: number;
  /** A busy device stays busy while its bins reach exitFactor × baseline ... */
  exitFactor: number;
  /** ... and this many bytes per bin ... */
  exitFloorBytes: number;
  /** ... or the same for packets. */
  exitFloorPackets: number;
  /** Consecutive bins below the exit thresholds that end a busy span (the span ends at the last warm bin). */
  exitHoldBins: number;
  /** Window, in bins, over which active (non-empty) bins are counted for asleep / idle. */
  activityWindowBins: number;
  /** asleep → idle when at least this many bins of the window are active. */
  idleEnterActiveBins: number;
  /** idle → asleep when at most this many bins of the window are active. */
  asleepEnterActiveBins: number;
  /** Relative tolerance of a known routine's period (0 turns routine recognition off). */
  routinePeriodTolerance: number;
  /** Relative tolerance of the period between the firings that teach a new routine (at most routinePeriodTolerance counts). */
  routineLearnTolerance: number;
  /** Least absolute tolerance of a routine's period, seconds. */
  routineToleranceMinSeconds: number;
  /** Shortest and longest routine period, seconds. */
  routineMinPeriodSeconds: number;
  routineMaxPeriodSeconds: number;
  /** Largest ratio of span volumes (bytes) within one routine. */
  routineVolumeRatio: number;
  /**
   * Firings (spans of similar size, each one period after the one before) that start a routine: 3,
   * a clean series (see the doc comment above); 4 would miss short captures of a timer (the NKU
   * plug's 5-minute syncs fire three times in its idle phase).
   */
  routineMinFirings: number;
  /** Recent busy spans remembered for routine recognition. */
  routineMemorySpans: number;
  /** Routine periods remembered per device. */
  routineMaxPeriods: number;
  /** Packet kinds (direction × size): window of the background history, seconds. */
  noveltyWindowSeconds: number;
  /** Windows with traffic remembered per device (1 … 31). */
  noveltyHistoryWindows: number;
  /** Share of the remembered windows a familiar kind was seen in. */
  noveltyFamiliarShare: number;
  /** Windows remembered before any packet is judged novel. */
  noveltyMinWindows: number;
  /** Width of a size bucket of a packet kind, bytes. */
  noveltyBucketBytes: number;
  /** Novel packets in one bin that start a busy span (0 turns novelty off) ... */
  noveltyEnterPackets: number;
  /** ... when their bytes reach this many times the device's byte baseline (its median non-empty bin). */
  noveltyBaselineFactor: number;
  /** Novel packets in one bin that keep a busy span going. */
  noveltyExitPackets: number;
  /** Most state segments kept per device; the oldest are dropped beyond it. */
  maxSegments: number;
  /** Most busy spans kept per device; the oldest are dropped beyond it. */
  maxSpans: number;
  /**
   * Busy bins never teach a device's background (its baseline, envelope and packet kinds): its
   * events stay events however often they come. A busy stretch longer than this many bins (an
   * hour) is a new normal (the device changed what it does all the time), and its bins count.
   */
  eventMaxBins: number;
}

/** The documented defaults (module comment: what each means; CALIBRATION.md: how they were measured). */
export const DEFAULT_ACTIVITY_CONFIG: Readonly<ActivityConfig> = Object.freeze({
  binSeconds: 10,
  baselineHistoryBins: 2048,
  baselineMinBins: 12,
  baselineQuantile: 0.5,
  envelopeQuantile: 0.99,
  envelopeMinBins: 100,
  envelopeFactor: 2,
  enterFactor: 6,
  enterFloorBytes: 2000,
  enterFloorPackets: 20,
  exitFactor: 3,
  exitFloorBytes: 1000,
  exitFloorPackets: 10,
  exitHoldBins: 3,
  activityWindowBins: 30,
  idleEnterActiveBins: 3,
  asleepEnterActiveBins: 1,
  routinePeriodTolerance: 0.05,
  routineLearnTolerance: 0.01,
  routineToleranceMinSeconds: 10,
  routineMinPeriodSeconds: 120,
  routineMaxPeriodSeconds: 6 * 3600,
  routineVolumeRatio: 2,
  routineMemorySpans: 32,
  routineMaxPeriods: 8,
  routineMinFirings: 3,
  eventMaxBins: 360,
  noveltyWindowSeconds: 300,
  noveltyHistoryWindows: 24,
  noveltyFamiliarShare: 1 / 3,
  noveltyMinWindows: 12,
  noveltyBucketBytes: 8,
  noveltyEnterPackets: 2,
  noveltyBaselineFactor: 1,
  noveltyExitPackets: 1,
  maxSegments: 4096,
  maxSpans: 1024,
});

/** The defaults with some fields replaced; throws RangeError for values the tracker cannot use. */
export function activityConfig(overrides: Partial<ActivityConfig> = {}): ActivityConfig {
  const c: ActivityConfig = { ...DEFAULT_ACTIVITY_CONFIG, ...overrides };
  const positive: (keyof ActivityConfig)[] = [
    'binSeconds',
    'baselineHistoryBins',
    'enterFactor',
    'exitFactor',
    'exitHoldBins',
    'activityWindowBins',
    'maxSegments',
    'maxSpans',
  ];
  for (const key of positive) {
    if (!(c[key] > 0) || !Number.isFinite(c[key]))
      throw new RangeError(`activity config: ${key} must be > 0`);
  }
  for (const key of ['baselineQuantile', 'envelopeQuantile'] as const) {
    if (!(c[key] > 0 && c[key] <= 1)) throw new RangeError(`activity config: ${key} must be in (0, 1]`);
  }
  if (!(c.envelopeFactor >= 0)) throw new RangeError('activity config: envelopeFactor must be >= 0');
  if (!(c.routinePeriodTolerance >= 0 && c.routinePeriodTolerance < 0.5))
    throw new RangeError('activity config: routinePeriodTolerance must be in [0, 0.5)');
  if (!(c.routineLearnTolerance >= 0 && c.routineLearnTolerance < 0.5))
    throw new RangeError('activity config: routineLearnTolerance must be in [0, 0.5)');
  if (!(c.routineVolumeRatio >= 1)) throw new RangeError('activity config: routineVolumeRatio must be >= 1');
  if (!(c.routineMinPeriodSeconds > 0 && c.routineMaxPeriodSeconds >= c.routineMinPeriodSeconds))
    throw new RangeError('activity config: need 0 < routineMinPeriodSeconds <= routineMaxPeriodSeconds');
  if (
    c.exitFactor > c.enterFactor ||
    c.exitFloorBytes > c.enterFloorBytes ||
    c.exitFloorPackets > c.enterFloorPackets
  )
    throw new RangeError('activity config: exit thresholds must not exceed enter thresholds');
  if (c.asleepEnterActiveBins >= c.idleEnterActiveBins || c.idleEnterActiveBins > c.activityWindowBins)
    throw new RangeError(
      'activity config: need asleepEnterActiveBins < idleEnterActiveBins <= activityWindowBins',
    );
  if (!(c.noveltyWindowSeconds > 0))
    throw new RangeError('activity config: noveltyWindowSeconds must be > 0');
  if (!(c.noveltyHistoryWindows >= 1 && c.noveltyHistoryWindows <= 31))
    throw new RangeError('activity config: noveltyHistoryWindows must be in 1 … 31');
  if (!(c.noveltyMinWindows >= 1 && c.noveltyMinWindows <= c.noveltyHistoryWindows))
    throw new RangeError('activity config: need 1 <= noveltyMinWindows <= noveltyHistoryWindows');
  if (!(c.noveltyFamiliarShare > 0 && c.noveltyFamiliarShare <= 1))
    throw new RangeError('activity config: noveltyFamiliarShare must be in (0, 1]');
  if (!(c.noveltyBucketBytes >= 1)) throw new RangeError('activity config: noveltyBucketBytes must be >= 1');
  if (!(c.noveltyEnterPackets >= 0 && c.noveltyBaselineFactor >= 0))
    throw new RangeError('activity config: noveltyEnterPackets and noveltyBaselineFactor must be >= 0');
  if (!(c.noveltyExitPackets >= 1 && c.noveltyExitPackets <= Math.max(1, c.noveltyEnterPackets)))
    throw new RangeError('activity config: need 1 <= noveltyExitPackets <= noveltyEnterPackets');
  for (const key of [
    'noveltyHistoryWindows',
    'noveltyMinWindows',
    'noveltyEnterPackets',
    'noveltyExitPackets',
    'baselineHistoryBins',
    'exitHoldBins',
    'activityWindowBins',
    'envelopeMinBins',
    'routineMemorySpans',
    'routineMaxPeriods',
    'routineMinFirings',
    'eventMaxBins',
  ] as const) {
    if (!Number.isInteger(c[key])) throw new RangeError(`activity config: ${key} must be an integer`);
  }
  if (!(c.routineMinFirings >= 3)) throw new RangeError('activity config: routineMinFirings must be >= 3');
  return c;
}
