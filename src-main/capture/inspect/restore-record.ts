/**
 * What an inspect session changed, written before it changes anything, so the network can be put
 * back by whoever outlives the session: the session itself on stop, its watchdog process when the
 * engine or the whole app is killed, or the next start of Telltale when even the watchdog died.
 *
 * One record per network namespace, in /run/telltale (root's, cleared at boot — as are the
 * kernel settings and ARP caches it would put back): it is also the lock that keeps a second
 * Telltale, whatever its data folder, from redirecting the same network at the same time. A
 * record is trusted only as far as it must be: the settings it may put back are the session's
 * own (isSessionSetting, values 0 or 1), and its addresses must be well-formed.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { announce, ipv4Number, macBytes } from './arp-frame.ts';
import { isSessionSetting, restoreSettings, type SavedSetting, type SettingsFiles } from './forwarding.ts';

export interface Host {
  ip: string;
  mac: string;
}

export interface RestoreRecord {
  version: 2;
  /** This session (its watchdog restores only its own record). */
  session: string;
  /** The process that redirects (the engine), with what tells it from a later one of that number. */
  pid: number;
  pidStart: string | null;
  bootId: string | null;
  iface: string;
  /** This computer's MAC on `iface`: restore frames are sent from it. */
  selfMac: string;
  gateway: Host;
  devices: Host[];
  /** Kernel settings changed, with the values they had, in the order they are saved. */
  settings: SavedSetting[];
  startedAt: number;
}

/** The folder of the records: root's, cleared at boot. */
export const RECORD_DIR = '/run/telltale';

/** The record of this network namespace (named after it: namespaces are separate networks). */
export function inspectRecordPath(dir = RECORD_DIR): string {
  let ns = 'host';
  try {
    ns = String(statSync('/proc/self/ns/net').ino);
  } catch {
    // no namespaces here: one network
  }
  return join(dir, `inspect-${ns}.json`);
}

/** This boot's id and the start time of process `pid` (both null where /proc cannot say). */
export function processIdentity(pid: number): { bootId: string | null; pidStart: string | null } {
  let bootId: string | null = null;
  let pidStart: string | null = null;
  try {
    bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    // not Linux
  }
  try {
    // field 22 of /proc/PID/stat, counted after the command name (which may hold spaces)
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    pidStart = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    // gone
  }
  return { bootId, pidStart };
}

/** A new record for this process. */
export function newRecord(
  fields: Omit<RestoreRecord, 'version' | 'session' | 'pid' | 'pidStart' | 'bootId' | 'startedAt'>,
): RestoreRecord {
  return {
    version: 2,
    session: randomUUID(),
    pid: process.pid,
    ...processIdentity(process.pid),
    ...fields,
    startedAt: Date.now(),
  };
}

/**
 * Takes the record's place: creates it only when there is none (the lock). Throws an error whose
 * `code` is EEXIST when there is one.
 */
export function createRecord(path: string, record: RestoreRecord): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, JSON.stringify(record, null, 2), { mode: 0o600, flag: 'wx' });
}

/** Replaces the record whole or not at all. */
export function writeRecord(path: string, record: RestoreRecord): void {
  const temporary = `${path}.${randomUUID()}.tmp`;
  writeFileSync(temporary, JSON.stringify(record, null, 2), { mode: 0o600, flag: 'wx' });
  renameSync(temporary, path);
}

export function removeRecord(path: string): void {
  rmSync(path, { force: true });
}

/**
 * After a restore: removes the record, or, where settings could not be put back, keeps only
 * those (in the order saved) for the next start to try again.
 */
export function settleRecord(
  path: string,
  record: RestoreRecord | null,
  failed: readonly SavedSetting[],
): void {
  if (failed.length === 0 || record === null) removeRecord(path);
  else writeRecord(path, { ...record, devices: [], settings: [...failed] });
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

function isMac(mac: unknown): boolean {
  try {
    macBytes(String(mac));
    return typeof mac === 'string';
  } catch {
    return false;
  }
}

/** The record at `path`, or null where there is none; throws where it is there but not a record. */
export function readRecord(path: string): RestoreRecord | null {
  if (!existsSync(path)) return null;
  const r = JSON.parse(readFileSync(path, 'utf8')) as Partial<RestoreRecord>;
  const ok =
    r.version === 2 &&
    typeof r.session === 'string' &&
    /^[\w-]{8,64}$/.test(r.session) &&
    Number.isInteger(r.pid) &&
    (r.pid ?? 0) > 1 &&
    (r.pidStart === null || typeof r.pidStart === 'string') &&
    (r.bootId === null || typeof r.bootId === 'string') &&
    typeof r.iface === 'string' &&
    /^[\w.@-]{1,15}$/.test(r.iface) &&
    isMac(r.selfMac) &&
    isHost(r.gateway) &&
    Array.isArray(r.devices) &&
    r.devices.every(isHost) &&
    Array.isArray(r.settings) &&
    r.settings.every(
      (s) =>
        typeof s?.path === 'string' &&
        isSessionSetting(s.path) &&
        typeof s.previous === 'string' &&
        /^[01]$/.test(s.previous),
    );
  if (!ok) throw new Error(`${path} is not an inspect-mode restore record`);
  return r as RestoreRecord;
}

/** Whether the process that wrote `r` is still running (the same process, not a later one of that number). */
export function ownerAlive(r: Pick<RestoreRecord, 'pid' | 'pidStart' | 'bootId'>): boolean {
  if (!processAlive(r.pid)) return false;
  const now = processIdentity(r.pid);
  if (r.bootId !== null && now.bootId !== null && r.bootId !== now.bootId) return false;
  return r.pidStart === null || now.pidStart === null || r.pidStart === now.pidStart;
}

/** Whether `r` was written before this computer last started (nothing of it is left to undo). */
export function fromEarlierBoot(r: Pick<RestoreRecord, 'bootId'>): boolean {
  const now = processIdentity(process.pid).bootId;
  return r.bootId !== null && now !== null && r.bootId !== now;
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

/**
 * Sends `frames` `RESTORE_ROUNDS` times, `RESTORE_GAP_MS` apart, each frame on its own (one that
 * fails does not stop the others); returns the problems met.
 */
export async function sendRounds(
  frames: readonly Uint8Array[],
  send: (frame: Uint8Array) => void,
): Promise<string[]> {
  const problems = new Set<string>();
  for (let round = 0; round < RESTORE_ROUNDS; round++) {
    if (round > 0) await sleep(RESTORE_GAP_MS);
    for (const frame of frames) {
      try {
        send(frame);
      } catch (error) {
        problems.add(`sending the true addresses: ${(error as Error).message}`);
      }
    }
  }
  return [...problems];
}

/**
 * Puts the network back as `r` records it: the true ARP mappings, `RESTORE_ROUNDS` times, then
 * the kernel settings. Returns the problems met and the settings that could not be put back.
 */
export async function restoreNetwork(
  r: RestoreRecord,
  send: ((frame: Uint8Array) => void) | null,
  files?: SettingsFiles,
): Promise<{ problems: string[]; failed: SavedSetting[] }> {
  const problems =
    send === null
      ? ['no way to send ARP frames: the devices keep the redirection until their caches expire (minutes)']
      : await sendRounds(restoreFrames(r), send);
  const failed = restoreSettings(r.settings, files);
  // those that failed, in the order saved (so a later restore goes last to first again)
  return {
    problems: [...problems, ...failed.map((f) => f.problem)],
    failed: failed.map((f) => f.setting).reverse(),
  };
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
