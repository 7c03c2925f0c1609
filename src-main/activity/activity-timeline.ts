/**
 * What an activity tracker produces for one device: contiguous state segments on the bin grid
 * and the busy spans with their evidence, plus the plain-language description of a span.
 */
export type { ActivityTimeline, BusySpan, StateSegment } from '../shared/audit-types.ts';

import { formatBytes } from '../shared/format-bytes.ts';

export { formatBytes };

/** A duration for people: "1 s", "45 s", "5 min", "2.5 h" (never below 1 s). */
export function formatDuration(seconds: number): string {
  if (seconds < 59.5) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3570) return `${Math.round(seconds / 60)} min`;
  const hours = seconds / 3600;
  return `${hours < 9.95 ? hours.toFixed(1) : Math.round(hours)} h`;
}

/** Share of a span's bytes above which one direction names it ("uploaded", "downloaded"). */
const DOMINANT_SHARE = 2 / 3;

/**
 * Short description of a busy span from its byte counts: "uploaded …" when at least two thirds
 * went up, "downloaded …" when two thirds came down, "exchanged … on the LAN" when two thirds
 * stayed in the home, else "exchanged …" (all bytes); `unusual` (a span its packet kinds started,
 * not its volume) adds ", unlike its usual traffic".
 */
export function describeSpan(
  bytesUp: number,
  bytesDown: number,
  bytesLocal: number,
  duration: number,
  unusual = false,
): string {
  const total = bytesUp + bytesDown + bytesLocal;
  const over = `over ${formatDuration(duration)}${unusual ? ', unlike its usual traffic' : ''}`;
  if (total > 0 && bytesUp >= DOMINANT_SHARE * total) return `uploaded ${formatBytes(bytesUp)} ${over}`;
  if (total > 0 && bytesDown >= DOMINANT_SHARE * total) return `downloaded ${formatBytes(bytesDown)} ${over}`;
  if (total > 0 && bytesLocal >= DOMINANT_SHARE * total)
    return `exchanged ${formatBytes(bytesLocal)} on the LAN ${over}`;
  return `exchanged ${formatBytes(total)} ${over}`;
}
