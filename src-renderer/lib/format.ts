/** Numbers, sizes, times and durations as the UI shows them (local time of the person's machine). */

export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${Math.round(n)} B`;
}

export function formatPercent(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '–';
  return `${Math.round(share * 100)} %`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  const h = Math.floor(seconds / 3600);
  return `${h} h ${Math.round((seconds % 3600) / 60)} min`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** "2023-06-13 19:47" in local time. */
export function formatDateTime(ts: number | null): string {
  if (ts === null || !Number.isFinite(ts)) return '–';
  const d = new Date(ts * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A time within a range of `span` seconds: with seconds when the range is under an hour. */
export function formatRangeTime(ts: number, span: number): string {
  return span < 3600 ? `${formatDateTime(ts)}:${pad(new Date(ts * 1000).getSeconds())}` : formatDateTime(ts);
}

/** "19:47:05" in local time. */
export function formatClock(ts: number): string {
  const d = new Date(ts * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Tick positions for a time axis over [start, end): round steps, at most `max` ticks. */
export function timeTicks(start: number, end: number, max = 8): number[] {
  const span = Math.max(1, end - start);
  const steps = [10, 30, 60, 300, 600, 1800, 3600, 7200, 21600, 43200, 86400, 172800, 604800];
  const step = steps.find((s) => span / s <= max) ?? steps[steps.length - 1];
  const ticks: number[] = [];
  for (let t = Math.ceil(start / step) * step; t < end; t += step) ticks.push(t);
  return ticks;
}

/** Tick label: time of day, with seconds when the span is a few minutes, with the date when it covers days. */
export function tickLabel(t: number, span: number): string {
  const d = new Date(t * 1000);
  const clock = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (span > 86400) return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock}`;
  return span <= 600 ? `${clock}:${pad(d.getSeconds())}` : clock;
}
