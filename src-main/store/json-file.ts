/**
 * Small JSON documents in the data folder (settings, a person's device names): read with a
 * fallback when the file is missing, and written atomically (a temporary file renamed over the
 * old one), so a crash mid-write never leaves half a file.
 *
 * A damaged document (not JSON, or not the kind of value the store keeps) never stops the
 * program and is never silently overwritten: it is moved aside beside the original, as
 * `NAME.damaged-<time>`, the store starts from its defaults, and the notice says what was done and
 * where the old file is now.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface JsonDocument {
  /** The parsed document, or the fallback (missing or damaged file). */
  value: unknown;
  /** What was done about a damaged file, in words for the person; null when all was well. */
  notice: string | null;
}

/** `name.damaged-2026-12-07T05-00-00Z`: a file name that sorts by time and is valid everywhere. */
function asideName(path: string, now: Date): string {
  return `${path}.damaged-${now.toISOString().slice(0, 19).replace(/:/g, '-')}Z`;
}

/**
 * Reads the JSON document at `path`. Missing: `fallback`. Damaged (unreadable, not JSON, or
 * refused by `isValid`): moved aside, `fallback`, and a notice.
 */
export function readJsonDocument(
  path: string,
  fallback: unknown,
  isValid: (value: unknown) => boolean = () => true,
  now: Date = new Date(),
): JsonDocument {
  let problem: string;
  try {
    const value = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (isValid(value)) return { value, notice: null };
    problem = 'it does not hold what Telltale keeps there';
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return { value: fallback, notice: null };
    problem =
      e.code === undefined ? `it is not valid JSON (${e.message})` : `it cannot be read (${e.message})`;
  }
  const aside = asideName(path, now);
  try {
    renameSync(path, aside);
  } catch (error) {
    return {
      value: fallback,
      notice:
        `${path} is damaged: ${problem}. Telltale starts from its defaults, but could not move the file ` +
        `aside (${(error as Error).message}); copy it somewhere safe before you change anything it keeps.`,
    };
  }
  return {
    value: fallback,
    notice:
      `${basename(path)} was damaged: ${problem}. Telltale moved it aside to ${aside} and started from ` +
      'its defaults; what you change from now on is kept in a new file.',
  };
}

export function writeJsonFile(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 1)}\n`);
  renameSync(tmp, path);
}

/** True for a JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
