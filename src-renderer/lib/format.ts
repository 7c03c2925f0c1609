/**
 * Numbers, sizes, times and durations as the UI shows them; times in one zone (the person's
 * setting, else this computer's: `setTimeZone`), which `zoneCaption` names beside them.
 */
import {
  localClock,
  localDate,
  offsetMinutes,
  systemTimeZone,
  zoneOffsetLabel,
} from '../../src-main/shared/time-zone.ts';

export { formatBytes } from '../../src-main/shared/format-bytes.ts';

export function formatPercent(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '–';
  return `${Math.round(share * 100)} %`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  // rounded first, so that 119.6 s reads "2 min 0 s", never "1 min 60 s"
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  const minutes = Math.round(whole / 60);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

let zone = systemTimeZone();

/** The zone every time on screen is shown in: the person's setting, else this computer's (null). */
export function setTimeZone(setting: string | null): void {
  zone = setting ?? systemTimeZone();
}

export function currentTimeZone(): string {
  return zone;
}

/** The zone as a caption for times around `at`: "Europe/Berlin, UTC+02:00" ("UTC" alone for UTC). */
export function zoneCaption(at: number | null): string {
  const label = zoneOffsetLabel(at ?? Date.now() / 1000, zone);
  return zone === 'UTC' || zone === 'Etc/UTC' ? label : `${zone}, ${label}`;
}

/** "2023-06-13 19:47" in the shown zone. */
export function formatDateTime(ts: number | null): string {
  if (ts === null || !Number.isFinite(ts)) return '–';
  return `${localDate(ts, zone)} ${localClock(ts, zone)}`;
}

/** A time within a range of `span` seconds: with seconds when the range is under an hour. */
export function formatRangeTime(ts: number, span: number): string {
  return span < 3600 ? `${localDate(ts, zone)} ${localClock(ts, zone, true)}` : formatDateTime(ts);
}

/** "19:47:05" in the shown zone. */
export function formatClock(ts: number): string {
  return localClock(ts, zone, true);
}

/** Tick positions for a time axis over [start, end): round steps of the shown zone's clock, at most `max` ticks. */
export function timeTicks(start: number, end: number, max = 8): number[] {
  const span = Math.max(1, end - start);
  const steps = [10, 30, 60, 300, 600, 1800, 3600, 7200, 21600, 43200, 86400, 172800, 604800];
  const step = steps.find((s) => span / s <= max) ?? steps[steps.length - 1];
  const offset = offsetMinutes(start, zone) * 60;
  const ticks: number[] = [];
  for (let t = Math.ceil((start + offset) / step) * step - offset; t < end; t += step) ticks.push(t);
  return ticks;
}

/** Tick label: time of day, with seconds when the span is a few minutes, with the date when it covers days. */
export function tickLabel(t: number, span: number): string {
  if (span > 86400) return `${localDate(t, zone).slice(5)} ${localClock(t, zone)}`;
  return localClock(t, zone, span <= 600);
}

/**
 * What a session reads, in one short line: the file's name, or "116 files · 2023-06-12 21:50 –
 * 2023-06-14 05:20" (the capture time read so far); the interface for a live capture.
 */
export function sourceSummary(
  source: { kind: 'files' | 'live'; names: readonly string[] },
  captureStart: number | null,
  captureEnd: number | null,
): string {
  if (source.kind === 'live' || source.names.length === 1) return source.names.join(', ');
  const span =
    captureStart === null ? '' : ` · ${formatDateTime(captureStart)} – ${formatDateTime(captureEnd)}`;
  return `${source.names.length} files${span}`;
}
