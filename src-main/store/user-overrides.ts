/**
 * What the person told Telltale about their devices, kept per MAC so it survives restarts and
 * address changes: a name, and a corrected device type. Stored as `devices.json` in the data
 * folder.
 */
import { join } from 'node:path';
import { normalizeMac } from '../devices/address-scope.ts';
import { isJsonObject, readJsonDocument, writeJsonDocument, type JsonDocument } from './json-file.ts';

export interface DeviceOverride {
  name?: string;
  category?: string;
}

/** Longest name or type kept (longer input is cut). */
export const MAX_OVERRIDE_LENGTH = 80;

function clean(text: string | null): string | null {
  if (text === null) return null;
  // one line of printable text: control characters become spaces
  const t = Array.from(text, (ch) => (ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f ? ' ' : ch))
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
  return t === '' ? null : t.slice(0, MAX_OVERRIDE_LENGTH);
}

export class UserOverrides {
  private readonly byMac = new Map<string, DeviceOverride>();
  readonly path: string;
  /** What was done about a damaged devices file (null when it was fine). */
  readonly notice: string | null;
  private readonly doc: Pick<JsonDocument, 'writable' | 'notice'>;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'devices.json');
    const doc = readJsonDocument(
      this.path,
      { devices: {} },
      (v) => isJsonObject(v) && (v.devices === undefined || isJsonObject(v.devices)),
    );
    this.notice = doc.notice;
    this.doc = doc;
    const devices = isJsonObject(doc.value) ? doc.value.devices : undefined;
    if (isJsonObject(devices)) {
      for (const [mac, value] of Object.entries(devices)) {
        const m = normalizeMac(mac);
        if (m === null || typeof value !== 'object' || value === null) continue;
        const v = value as Record<string, unknown>;
        const o: DeviceOverride = {};
        if (typeof v.name === 'string' && clean(v.name) !== null) o.name = clean(v.name)!;
        if (typeof v.category === 'string' && clean(v.category) !== null) o.category = clean(v.category)!;
        this.byMac.set(m, o);
      }
    }
  }

  get(mac: string): DeviceOverride {
    return this.byMac.get(mac) ?? {};
  }

  all(): ReadonlyMap<string, DeviceOverride> {
    return this.byMac;
  }

  /** Sets (or with null clears) the name; returns the name kept. */
  setName(mac: string, name: string | null): string | null {
    return this.update(mac, 'name', name);
  }

  setCategory(mac: string, category: string | null): string | null {
    return this.update(mac, 'category', category);
  }

  private update(mac: string, key: keyof DeviceOverride, value: string | null): string | null {
    const m = normalizeMac(mac);
    if (m === null) throw new RangeError(`"${mac}" is not a MAC address`);
    const v = clean(value);
    const { [key]: _old, ...rest } = this.get(m);
    const o: DeviceOverride = v === null ? rest : { ...rest, [key]: v };
    if (Object.keys(o).length === 0) this.byMac.delete(m);
    else this.byMac.set(m, o);
    writeJsonDocument(this.path, this.doc, { devices: Object.fromEntries(this.byMac) });
    return v;
  }
}
