/**
 * Vendor names from the IEEE registries of MAC address blocks (MA-L 24-bit OUIs, MA-M 28-bit and
 * MA-S 36-bit blocks), as packaged by the npm package `oui-data` (a JSON object mapping 6, 7 or 9
 * upper-case hex digits to "Organisation\naddress lines…").
 *
 * The 5.6 MB JSON is read lazily, once, on the first lookup, and reduced to three compact maps
 * from the numeric prefix to the organisation name (the first line only, with names shared
 * between blocks); the parsed JSON is then left to the garbage collector.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isCanonicalMac, isGroupMac, isLocallyAdministeredMac } from './address-scope.ts';

/** Shown instead of a vendor for a MAC with the U/L bit set (IEEE 802-2014 §8.2.2). */
export const LOCALLY_ADMINISTERED_VENDOR = 'randomised / locally administered MAC';

/** How long the registry took to load and how big it is. */
export interface OuiRegistryStats {
  /** Milliseconds spent reading, parsing and compacting the JSON. */
  loadMs: number;
  /** Assigned blocks by size: 24-bit (MA-L), 28-bit (MA-M), 36-bit (MA-S). */
  blocks24: number;
  blocks28: number;
  blocks36: number;
  /** Distinct organisation names kept. */
  organisations: number;
}

/** A loaded registry: longest-prefix lookup of a MAC's assignee. */
export class OuiRegistry {
  readonly stats: OuiRegistryStats;
  private readonly blocks24: Map<number, string>;
  private readonly blocks28: Map<number, string>;
  private readonly blocks36: Map<number, string>;

  /** Builds the compact maps from the `oui-data` object (keys: 6, 7 or 9 upper-case hex digits). */
  constructor(data: Readonly<Record<string, unknown>>, loadStartMs = performance.now()) {
    this.blocks24 = new Map();
    this.blocks28 = new Map();
    this.blocks36 = new Map();
    const organisations = new Map<string, string>();
    for (const key of Object.keys(data)) {
      const value = data[key];
      if (typeof value !== 'string') continue;
      const prefix = Number.parseInt(key, 16);
      if (!Number.isFinite(prefix)) continue;
      const newline = value.indexOf('\n');
      const first = (newline < 0 ? value : value.slice(0, newline)).trim();
      if (first === '') continue;
      let name = organisations.get(first);
      if (name === undefined) {
        // A fresh flat copy, so the kept name does not pin the whole "name\naddress" string.
        name = Buffer.from(first, 'utf8').toString('utf8');
        organisations.set(name, name);
      }
      if (key.length === 6) this.blocks24.set(prefix, name);
      else if (key.length === 7) this.blocks28.set(prefix, name);
      else if (key.length === 9) this.blocks36.set(prefix, name);
    }
    this.stats = {
      loadMs: performance.now() - loadStartMs,
      blocks24: this.blocks24.size,
      blocks28: this.blocks28.size,
      blocks36: this.blocks36.size,
      organisations: organisations.size,
    };
  }

  /**
   * The organisation the block holding `mac` (canonical "aa:bb:cc:dd:ee:ff") is assigned to, with
   * the longest matching block winning (an MA-S block inside an IEEE Registration Authority OUI),
   * or null when no block matches or the text is not a canonical MAC.
   */
  assignee(mac: string): string | null {
    if (!isCanonicalMac(mac)) return null;
    const hex = mac.slice(0, 2) + mac.slice(3, 5) + mac.slice(6, 8) + mac.slice(9, 11) + mac.slice(12, 14);
    const p36 = Number.parseInt(hex.slice(0, 9), 16);
    const byS = this.blocks36.get(p36);
    if (byS !== undefined) return byS;
    const byM = this.blocks28.get(Math.floor(p36 / 256));
    if (byM !== undefined) return byM;
    return this.blocks24.get(Math.floor(p36 / 4096)) ?? null;
  }
}

let registry: OuiRegistry | null = null;

/** Reads and parses the `oui-data` JSON (resolved like an import, from this module). */
function readOuiData(): Record<string, unknown> {
  const file = createRequire(import.meta.url).resolve('oui-data');
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`oui-data: ${file} is not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/** The registry, loaded on first use. */
export function ouiRegistry(): OuiRegistry {
  if (registry === null) {
    const start = performance.now();
    registry = new OuiRegistry(readOuiData(), start);
  }
  return registry;
}

/**
 * The vendor of a device MAC: the IEEE assignee of its block, or null when the MAC is a group
 * address, is locally administered (randomised; the registry says nothing about it), is not
 * canonical text, or its block is not in the registry.
 */
export function ouiVendor(mac: string): string | null {
  if (!isCanonicalMac(mac) || isGroupMac(mac) || isLocallyAdministeredMac(mac)) return null;
  return ouiRegistry().assignee(mac);
}

/** What to show for a MAC's maker: the vendor, the locally-administered note, or null when unknown. */
export function vendorText(mac: string): string | null {
  if (isLocallyAdministeredMac(mac)) return LOCALLY_ADMINISTERED_VENDOR;
  return ouiVendor(mac);
}
