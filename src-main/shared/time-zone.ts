/**
 * Times for people, in one IANA time zone with its offset said: the engine's findings, the report
 * and the UI use these so that every time a person reads carries its zone ("2023-06-13 21:47
 * UTC+02:00"), and all of them agree on it. The zone is the person's setting, else the computer's.
 */

/** The computer's own zone (this process's: the engine's or the browser's). */
export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** Whether `zone` names a time zone this runtime knows (e.g. Europe/Berlin, UTC). */
export function isTimeZone(zone: unknown): zone is string {
  if (typeof zone !== 'string' || zone.length === 0 || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(zone, f);
  }
  return f;
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock reading of `seconds` (since 1970, UTC) in `zone`. */
export function localParts(seconds: number, zone: string): LocalParts {
  const out: LocalParts = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const p of formatter(zone).formatToParts(new Date(Math.floor(seconds) * 1000))) {
    if (p.type in out) out[p.type as keyof LocalParts] = Number(p.value);
  }
  return out;
}

/** Minutes `zone` is ahead of UTC at `seconds`. */
export function offsetMinutes(seconds: number, zone: string): number {
  const p = localParts(seconds, zone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) / 1000;
  return Math.round((asUtc - Math.floor(seconds)) / 60);
}

/** "UTC", "UTC+02:00", "UTC-07:00", "UTC+05:30". */
export function offsetLabel(minutes: number): string {
  if (minutes === 0) return 'UTC';
  const m = Math.abs(minutes);
  return `UTC${minutes < 0 ? '-' : '+'}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** The zone's offset at `seconds` as a label ("UTC+02:00"). */
export function zoneOffsetLabel(seconds: number, zone: string): string {
  return offsetLabel(offsetMinutes(seconds, zone));
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** "2023-06-13" of `seconds` in `zone`. */
export function localDate(seconds: number, zone: string): string {
  const p = localParts(seconds, zone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** "19:47", or "19:47:05" with seconds, of `seconds` in `zone`. */
export function localClock(seconds: number, zone: string, withSeconds = false): string {
  const p = localParts(seconds, zone);
  return `${pad(p.hour)}:${pad(p.minute)}${withSeconds ? `:${pad(p.second)}` : ''}`;
}
