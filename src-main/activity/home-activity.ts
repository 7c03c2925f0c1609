/**
 * Activity timelines of a whole home: one ActivityTracker per device key. The key is whatever
 * names the device for the timeline's purpose — the true label index for the truth timeline (LAN
 * view packets with their true labels), or the label a model predicted for an observer's packet
 * (what the ISP or VPN carrier can infer) — so the same code makes both and they can be compared
 * with `timelineAgreement`.
 *
 * Bounded: at most `maxDevices` trackers (packets of further keys are counted and dropped), each
 * of fixed size (see ActivityTracker).
 */
import type { Direction } from '../views/view-packet.ts';
import type { ActivityConfig } from './activity-config.ts';
import type { ActivityTimeline } from './activity-timeline.ts';
import { ActivityTracker } from './activity-tracker.ts';
import { COUNTED } from './uncounted-packets.ts';

export const DEFAULT_MAX_DEVICES = 1024;

export class HomeActivity<K extends string | number = number> {
  readonly maxDevices: number;
  private readonly config: Partial<ActivityConfig>;
  private readonly trackers = new Map<K, ActivityTracker>();
  private dropped = 0;
  private latestTs = -Infinity;

  constructor(config: Partial<ActivityConfig> = {}, maxDevices = DEFAULT_MAX_DEVICES) {
    this.config = config;
    this.maxDevices = maxDevices;
  }

  /** Adds one packet of device `key` (`mark`: see ActivityTracker.push). */
  push(key: K, ts: number, size: number, direction: Direction, mark = COUNTED): void {
    let tracker = this.trackers.get(key);
    if (tracker === undefined) {
      if (this.trackers.size >= this.maxDevices) {
        this.dropped++;
        return;
      }
      tracker = new ActivityTracker(this.config);
      this.trackers.set(key, tracker);
    }
    tracker.push(ts, size, direction, mark);
    if (ts > this.latestTs) this.latestTs = ts;
  }

  /** Packets dropped because `maxDevices` trackers existed already. */
  get droppedPackets(): number {
    return this.dropped;
  }

  /** Timestamp of the latest packet seen (−Infinity before any). */
  get latestPacketTs(): number {
    return this.latestTs;
  }

  /** Moves every device's bins on to the bin holding `ts` (live sessions; see ActivityTracker.advanceTo). */
  advanceTo(ts: number): void {
    for (const tracker of this.trackers.values()) tracker.advanceTo(ts);
  }

  /** Ends every device's timeline at `endTs` (default: the latest packet seen). */
  flush(endTs: number = this.latestTs): void {
    for (const tracker of this.trackers.values()) tracker.flush(endTs);
  }

  tracker(key: K): ActivityTracker | undefined {
    return this.trackers.get(key);
  }

  /** Device keys in order of first packet. */
  keys(): K[] {
    return [...this.trackers.keys()];
  }

  /** Every device's timeline (complete after `flush`). */
  timelines(): Map<K, ActivityTimeline> {
    const out = new Map<K, ActivityTimeline>();
    for (const [key, tracker] of this.trackers) out.set(key, tracker.timeline());
    return out;
  }

  /** Forgets every device. */
  clear(): void {
    this.trackers.clear();
    this.dropped = 0;
    this.latestTs = -Infinity;
  }
}
