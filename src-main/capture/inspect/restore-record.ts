/**
 * What an inspect session changed, written to disk before it changes anything, so the network can
 * be put back by whoever outlives it: the session itself on stop, its watchdog process when the
 * engine or the whole app is killed, or the next start of Telltale when even the watchdog died.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { announce, ipv4Number, macBytes } from './arp-frame.ts';
import { restoreSettings, type SavedSetting, type SettingsFiles } from './forwarding.ts';

export interface Host {
  ip: string;
  mac: string;
}

export interface RestoreRecord {
  version: 1;
  /** The process that redirects (the engine). */
  pid: number;
  iface: string;
  /** This computer's MAC on `iface`: restore frames are sent from it. */
  selfMac: string;
  gateway: Host;
  devices: Host[];
  /** Kernel settings changed, with the values they had. */
  settings: SavedSetting[];
  startedAt: number;
}

/** Writes `record` whole or not at all (a temporary file renamed over the old one). */
export function writeRecord(path: string, record: RestoreRecord): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(record, null, 2), { mode: 0o600 });
  renameSync(temporary, path);
}

export function removeRecord(path: string): void {
  rmSync(path, { force: true });
}

function isHost(h: unknown): h is Host {
  if (typeof h !== 'object' || h === null) return false;
  const { ip, mac } = h as Record<string, unknown>;
  if (typeof ip !== 'string' || typeof mac !== 'string') return false;
  try {
    ipv4Number(ip);
    macBytes(mac);
    return true;
  } catch {
    return false;
  }
}

/** The record at `path`, or null where there is none; throws where it is there but unreadable. */
export function readRecord(path: string): RestoreRecord | null {
  if (!existsSync(path)) return null;
  const r = JSON.parse(readFileSync(path, 'utf8')) as Partial<RestoreRecord>;
  const settingsOk =
    Array.isArray(r.settings) &&
    r.settings.every(
      (s) =>
        typeof s?.path === 'string' &&
        /^\/proc\/sys\/net\/ipv4\/[\w./@-]+$/.test(s.path) &&
        !s.path.includes('..') &&
        typeof s.previous === 'string' &&
        /^\d{1,3}$/.test(s.previous),
    );
  if (
    r.version !== 1 ||
    typeof r.pid !== 'number' ||
    typeof r.iface !== 'string' ||
    typeof r.selfMac !== 'string' ||
    !isHost(r.gateway) ||
    !Array.isArray(r.devices) ||
    !r.devices.every(isHost) ||
    !settingsOk
  )
    throw new Error(`${path} is not an inspect-mode restore record`);
  return r as RestoreRecord;
}

/**
 * The frames that tell every host its true neighbours again: each device that the router is at
 * the router's own MAC, and the router where each device is.
 */
export function restoreFrames(r: { selfMac: string; gateway: Host; devices: readonly Host[] }): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (const d of r.devices) {
    frames.push(announce(r.gateway.ip, r.gateway.mac, r.selfMac, d));
    frames.push(announce(d.ip, d.mac, r.selfMac, r.gateway));
  }
  return frames;
}

/** Rounds of restore frames, and the gap between two (a lost frame is made good by the next round). */
export const RESTORE_ROUNDS = 3;
export const RESTORE_GAP_MS = 300;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends `frames` `RESTORE_ROUNDS` times, `RESTORE_GAP_MS` apart; returns the problems met. */
export async function sendRounds(
  frames: readonly Uint8Array[],
  send: (frame: Uint8Array) => void,
): Promise<string[]> {
  for (let round = 0; round < RESTORE_ROUNDS; round++) {
    if (round > 0) await sleep(RESTORE_GAP_MS);
    try {
      for (const frame of frames) send(frame);
    } catch (error) {
      return [`sending the true addresses: ${(error as Error).message}`];
    }
  }
  return [];
}

/**
 * Puts the network back as `r` records it: the true ARP mappings, `RESTORE_ROUNDS` times, then
 * the kernel settings. Returns the problems met (none when all went back).
 */
export async function restoreNetwork(
  r: RestoreRecord,
  send: ((frame: Uint8Array) => void) | null,
  files?: SettingsFiles,
): Promise<string[]> {
  const problems =
    send === null
      ? ['no way to send ARP frames: the devices keep the redirection until their caches expire (minutes)']
      : await sendRounds(restoreFrames(r), send);
  return [...problems, ...restoreSettings(r.settings, files)];
}

/** Whether process `pid` is alive. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
