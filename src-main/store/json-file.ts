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
  /** The parsed document, or the fallback (missing, unreadable or damaged file). */
  value: unknown;
  /** What was done about a damaged or unreadable file, in words for the person; null when all was well. */
  notice: string | null;
  /**
   * False when the file is there but must be left alone: it could not be read (permissions, a
   * folder in its place), or it is damaged and could not be moved aside. The store then keeps
   * changes in memory only and says so instead of writing over it.
   */
  writable: boolean;
}

/** A change that cannot be kept on disk (its data file must be left alone): the message says why. */
export class DataFileError extends Error {
  override name = 'DataFileError';
}

/** `name.damaged-2026-12-07T05-00-00Z`: a file name that sorts by time and is valid everywhere. */
function asideName(path: string, now: Date): string {
  return `${path}.damaged-${now.toISOString().slice(0, 19).replace(/:/g, '-')}Z`;
}

/**
 * Reads the JSON document at `path`. Missing: `fallback`. Unreadable: `fallback`, a notice, and
 * not writable (the file is left as it is). Damaged (not JSON, or refused by `isValid`): moved
 * aside, `fallback`, and a notice.
 */
export function readJsonDocument(
  path: string,
  fallback: unknown,
  isValid: (value: unknown) => boolean = () => true,
  now: Date = new Date(),
): JsonDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return { value: fallback, notice: null, writable: true };
    return {
      value: fallback,
      notice:
        `${path} cannot be read (${e.message}). Telltale starts from its defaults and leaves the file as ` +
        'it is; fix its permissions and restart to use what it holds.',
      writable: false,
    };
  }
  let problem: string;
  try {
    // a byte-order mark (some editors write one) is not damage
    const value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown;
    if (isValid(value)) return { value, notice: null, writable: true };
    problem = 'it does not hold what Telltale keeps there';
  } catch (error) {
    problem = `it is not valid JSON (${(error as Error).message})`;
  }
  const aside = asideName(path, now);
  try {
    renameSync(path, aside);
  } catch (error) {
    return {
      value: fallback,
      notice:
        `${path} is damaged: ${problem}. Telltale starts from its defaults, but could not move the file ` +
        `aside (${(error as Error).message}), so it leaves it as it is: copy it somewhere safe, remove it ` +
        'and restart.',
      writable: false,
    };
  }
  return {
    value: fallback,
    notice:
      `${basename(path)} was damaged: ${problem}. Telltale moved it aside to ${aside} and started from ` +
      'its defaults; what you change from now on is kept in a new file.',
    writable: true,
  };
}

/** Writes `value` as the document read as `doc`; a document that must be left alone is not written. */
export function writeJsonDocument(
  path: string,
  doc: Pick<JsonDocument, 'writable' | 'notice'>,
  value: unknown,
): void {
  if (!doc.writable)
    throw new DataFileError(`the change is not saved: ${doc.notice ?? `${path} must not be written`}`);
  writeJsonFile(path, value);
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
