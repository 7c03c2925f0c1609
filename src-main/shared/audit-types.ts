/**
 * Plain data types of the audit that both the engine and the UI read: activity timelines, busy
 * spans and findings. No runtime code, no imports, so the renderer can use them as they are.
 */

/** A device's state in a stretch of time. */
export type ActivityState = 'asleep' | 'idle' | 'busy';

/** The observers Telltale audits against: the ISP behind the router (NAPT), the VPN's carrier. */
export type ObserverView = 'napt' | 'vpn';

/** One stretch of time in one state: [start, end) in capture seconds, on the bin grid. */
export interface StateSegment {
  state: ActivityState;
  start: number;
  end: number;
}

/** A busy span and what shows it. Times are those of the span's first and last packets. */
export interface BusySpan {
  start: number;
  end: number;
  /** end − start, seconds. */
  duration: number;
  packets: number;
  /** Bytes (observer frame sizes) home → internet, internet → home, and inside the home. */
  bytesUp: number;
  bytesDown: number;
  bytesLocal: number;
  /** Highest rate over one bin of the span, bytes and packets per second. */
  peakBytesPerSecond: number;
  peakPacketsPerSecond: number;
  /** Packets of kinds (direction × size) the device's background traffic lacks (activity/packet-kinds.ts). */
  unusualPackets: number;
  /** e.g. "uploaded 1.6 MB over 5 min". */
  description: string;
  /**
   * Part of the device's own timer-driven routine (a periodic sync): kept as evidence, but its time
   * is idle, not busy. Decided when a later span completes the pattern, so it may turn true after
   * the span ended.
   */
  routine: boolean;
  /** The routine's period in seconds, when routine. */
  routinePeriod: number | null;
  /** Bin edges of the span's segment in the timeline, [binStart, binEnd). */
  binStart: number;
  binEnd: number;
}

/** A device's timeline: segments cover [start, end) without gaps, in time order. */
export interface ActivityTimeline {
  /** Start of the first kept segment (the bin of the first packet unless old segments were dropped). */
  start: number;
  end: number;
  segments: StateSegment[];
  spans: BusySpan[];
  /** Oldest segments and spans dropped to stay within the caps. */
  droppedSegments: number;
  droppedSpans: number;
  /**
   * Connection attempts of the device that were refused (a reset, or "unreachable";
   * activity/uncounted-packets.ts): how many, and the first and last one's time. They show it
   * awake, never busy: a device that cannot reach its servers retries. Absent: none.
   */
  refusals?: { count: number; first: number; last: number };
}

export type Severity = 'high' | 'medium' | 'low' | 'info';

/**
 * What the bundled models can say about a device, from all of its packets in one observer's view:
 * `recognised` — the catalog's device-level test passed (audit/exposure.ts), the observer's model
 * names it; `looks-like` — not recognised, but the device-category model
 * (inference/device-category.ts) gives it a category with the confidence its leave-one-device-out
 * test found reliable; `not-recognised` — neither. The kind of the catalog class a device is
 * taken for is never used as its category: on devices the models never saw it was right for 4 %
 * of them (models/EVALUATION.md).
 */
export type CatalogEvidence = 'recognised' | 'looks-like' | 'not-recognised';
/** Every severity, most severe first (the one order findings are sorted and filtered in). */
export const SEVERITIES: readonly Severity[] = ['high', 'medium', 'low', 'info'];
export type FindingKind = 'identity' | 'activity' | 'clouds' | 'clear-text' | 'dns' | 'quiet' | 'defence';

export interface Finding {
  /** Stable id: kind, observer and device. */
  id: string;
  kind: FindingKind;
  severity: Severity;
  /** The observer it concerns; null for the home as a whole or the LAN side. */
  observer: ObserverView | null;
  /** The device's MAC; null for home-wide findings. */
  device: string | null;
  title: string;
  evidence: string[];
  advice: string;
  /**
   * Shown to researchers only (the app hides it until asked): a defence that would make the
   * observer recognise more, or that more than doubles the home's traffic.
   */
  researchOnly?: boolean;
}

/** A device category (inference/device-category.ts) in a homeowner's words: "plug/switch" → "smart plug or switch". */
export const CATEGORY_WORDS: Readonly<Record<string, string>> = {
  camera: 'camera',
  'plug/switch': 'smart plug or switch',
  'bulb/light': 'smart bulb or light',
  lock: 'smart lock',
  'hub/bridge': 'hub or bridge',
  sensor: 'sensor',
  thermostat: 'thermostat',
  sprinkler: 'sprinkler controller',
  vacuum: 'robot vacuum',
  speaker: 'smart speaker',
  appliance: 'connected appliance',
  'phone/computer': 'phone or computer',
};

export function categoryWords(category: string): string {
  return CATEGORY_WORDS[category] ?? category;
}
