/**
 * Each device's traffic per minute (packets, bytes up, down and inside the home), for the rate
 * chart of a device's page. Bounded: at most `maxMinutes` minutes per device (the oldest are
 * dropped, 48 hours by default) and `maxDevices` devices.
 */
import type { RatePoint } from '../shared/ipc-contract.ts';
import { Direction } from '../views/view-packet.ts';

export type { RatePoint };

export const RATE_BUCKET_SECONDS = 60;

export class DeviceRates {
  private readonly series = new Map<string, RatePoint[]>();

  constructor(
    readonly maxMinutes = 48 * 60,
    readonly maxDevices = 1024,
  ) {}

  add(mac: string, ts: number, size: number, direction: Direction): void {
    let points = this.series.get(mac);
    if (points === undefined) {
      if (this.series.size >= this.maxDevices) return;
      points = [];
      this.series.set(mac, points);
    }
    const t = Math.floor(ts / RATE_BUCKET_SECONDS) * RATE_BUCKET_SECONDS;
    let last = points.length > 0 ? points[points.length - 1] : undefined;
    if (last === undefined || t > last.t) {
      last = { t, packets: 0, bytesUp: 0, bytesDown: 0, bytesLocal: 0 };
      points.push(last);
      if (points.length > this.maxMinutes) points.splice(0, points.length - this.maxMinutes);
    } else if (t < last.t) {
      // out of order by more than a minute: count it where it belongs if that minute is kept
      const found = points.find((p) => p.t === t);
      if (found === undefined) return;
      last = found;
    }
    last.packets++;
    if (direction === Direction.UP) last.bytesUp += size;
    else if (direction === Direction.DOWN) last.bytesDown += size;
    else last.bytesLocal += size;
  }

  /** The device's minutes with traffic, oldest first (a copy). */
  of(mac: string): RatePoint[] {
    return (this.series.get(mac) ?? []).map((p) => ({ ...p }));
  }
}
