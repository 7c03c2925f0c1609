/**
 * The watchdog that puts the network back when the process that redirected it dies without
 * doing so (the engine killed, the whole app killed with `kill -9`). A separate process in its
 * own session (so killing the app's process group leaves it), started before anything changes;
 * it reads its standard input, which the engine holds open: "disarm" means the engine restored
 * everything itself; the end of input without it means the engine is gone — the watchdog then
 * restores from the record and removes it. Where even the watchdog died, the next start of
 * Telltale finds the record (`recoverNetwork`).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { openFrameChannel } from '../live-capture.ts';
import { processAlive, readRecord, removeRecord, restoreNetwork } from './restore-record.ts';

export interface Watchdog {
  /** The engine restored everything itself: the watchdog exits without touching anything. */
  disarm(): void;
  readonly pid: number | undefined;
}

/** How to start a module of this folder as a program: compiled `.js`, or `.ts` through tsx. */
function programArgs(name: string): string[] {
  const from = import.meta.url;
  if (!new URL(from).pathname.endsWith('.ts')) return [new URL(`./${name}.js`, from).pathname];
  const tsx = pathToFileURL(createRequire(from).resolve('tsx')).href;
  return ['--import', tsx, new URL(`./${name}.ts`, from).pathname];
}

/** Starts the watchdog for the record at `recordPath`; it logs to `${recordPath}.log`. */
export function startWatchdog(recordPath: string): Watchdog {
  const log = openSync(`${recordPath}.log`, 'a', 0o600);
  const child = spawn(process.execPath, [...programArgs('restore-watchdog-main'), recordPath], {
    detached: true,
    stdio: ['pipe', log, log],
    // the desktop app's binary is Electron: run as plain Node
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  closeSync(log);
  const stdin = child.stdin;
  if (stdin === null) throw new Error('the watchdog has no input');
  child.on('error', () => {
    // no watchdog: the record is still there for the next start
  });
  stdin.on('error', () => {
    // the watchdog exited
  });
  child.unref();
  (stdin as unknown as { unref?: () => void }).unref?.();
  return {
    pid: child.pid,
    disarm() {
      if (stdin.writable) stdin.end('disarm\n');
    },
  };
}

/**
 * Restores the network from the record at `recordPath` when its owner is no longer running, and
 * removes the record. Returns what it did in words, or null when there was nothing to restore.
 */
export async function recoverNetwork(recordPath: string, force = false): Promise<string | null> {
  let record;
  try {
    record = readRecord(recordPath);
  } catch (error) {
    removeRecord(recordPath);
    return `an unreadable inspect-mode record was removed (${(error as Error).message})`;
  }
  if (record === null) return null;
  if (!force && record.pid !== process.pid && processAlive(record.pid)) return null;
  let channel: { send(frame: Uint8Array): void; close(): void } | null = null;
  try {
    channel = openFrameChannel(record.iface, 'less 1', () => undefined);
  } catch {
    // restore the settings at least
  }
  const problems = await restoreNetwork(
    record,
    channel === null
      ? null
      : (f) => {
          channel.send(f);
        },
  );
  channel?.close();
  removeRecord(recordPath);
  const what = `inspect mode's redirection of ${record.devices.length} device(s) on ${record.iface}, left by a Telltale that stopped without undoing it, was undone`;
  return problems.length === 0 ? what : `${what}, with problems: ${problems.join('; ')}`;
}

/** The watchdog's program: waits for its input to end, then restores unless disarmed. */
export async function runWatchdog(recordPath: string): Promise<void> {
  let input = '';
  let disarmed = false;
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    input += chunk;
    if (input.includes('disarm')) disarmed = true;
  });
  await new Promise<void>((resolve) => {
    process.stdin.on('end', resolve);
    process.stdin.on('close', resolve);
    process.stdin.on('error', () => {
      resolve();
    });
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, resolve);
  });
  const stamp = new Date().toISOString();
  if (disarmed) {
    console.log(`${stamp} disarmed: the engine restored the network itself`);
    return;
  }
  const done = await recoverNetwork(recordPath, true);
  console.log(`${stamp} the engine ended without restoring: ${done ?? 'no record left, nothing to do'}`);
}
