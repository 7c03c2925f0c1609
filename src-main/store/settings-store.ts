/** The app's settings (`settings.json` in the data folder), validated field by field on load and update. */
import { join } from 'node:path';
import type { ReplaySpeed, Settings } from '../shared/ipc-contract.ts';
import { isTimeZone } from '../shared/time-zone.ts';
import { isJsonObject, readJsonDocument, writeJsonDocument, type JsonDocument } from './json-file.ts';

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  theme: 'system',
  defaultSpeed: 'max',
  defaultInterface: null,
  captureFilter: '',
  timeZone: null,
});

function validSpeed(v: unknown): v is ReplaySpeed {
  return v === 'max' || (typeof v === 'number' && v > 0 && v <= 10_000 && Number.isFinite(v));
}

/** The valid fields of `input` over `base`; throws RangeError naming the first invalid one. */
export function mergeSettings(base: Settings, input: Partial<Record<keyof Settings, unknown>>): Settings {
  const out: Settings = { ...base };
  for (const [key, value] of Object.entries(input)) {
    switch (key) {
      case 'theme':
        if (value !== 'system' && value !== 'light' && value !== 'dark')
          throw new RangeError('theme must be system, light or dark');
        out.theme = value;
        break;
      case 'defaultSpeed':
        if (!validSpeed(value))
          throw new RangeError('defaultSpeed must be "max" or a number of times real time');
        out.defaultSpeed = value;
        break;
      case 'defaultInterface':
        if (value !== null && typeof value !== 'string')
          throw new RangeError('defaultInterface must be a name or null');
        out.defaultInterface = value;
        break;
      case 'captureFilter':
        if (typeof value !== 'string' || value.length > 1000)
          throw new RangeError('captureFilter must be text');
        out.captureFilter = value;
        break;
      case 'timeZone':
        if (value !== null && !isTimeZone(value))
          throw new RangeError(
            'timeZone must be a time zone such as Europe/Berlin, or null for this computer’s',
          );
        out.timeZone = value;
        break;
      default:
        throw new RangeError(`unknown setting "${key}"`);
    }
  }
  return out;
}

export class SettingsStore {
  readonly path: string;
  /** What was done about a damaged settings file (null when it was fine). */
  readonly notice: string | null;
  private readonly doc: Pick<JsonDocument, 'writable' | 'notice'>;
  private current: Settings;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'settings.json');
    const doc = readJsonDocument(this.path, {}, isJsonObject);
    this.notice = doc.notice;
    this.doc = doc;
    let loaded: Settings = { ...DEFAULT_SETTINGS };
    if (isJsonObject(doc.value)) {
      for (const [k, v] of Object.entries(doc.value)) {
        try {
          loaded = mergeSettings(loaded, { [k]: v });
        } catch {
          // a field an older or newer version wrote: keep the default
        }
      }
    }
    this.current = loaded;
  }

  get(): Settings {
    return { ...this.current };
  }

  update(input: Partial<Record<keyof Settings, unknown>>): Settings {
    this.current = mergeSettings(this.current, input);
    writeJsonDocument(this.path, this.doc, this.current);
    return this.get();
  }
}
