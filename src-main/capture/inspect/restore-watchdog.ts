/**
 * The watchdog that puts the network back when the process that redirected it dies without
 * doing so (the engine killed, the whole app killed with `kill -9`). A separate process in its
 * own session (so killing the app's process group leaves it), started and heard from ("armed")
 * before anything changes; it reads its standard input, which the engine holds open: "disarm"
 * means the engine restored everything itself; the end of input without it means the engine is
 * gone — the watchdog then restores its own session's record and removes it. Signals do not stop
 * it (a system shutting down ends the engine too, which ends its input). Where even the watchdog
 * died, the next start of Telltale finds the record (`recoverNetwork`).
 */
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { openFrameChannel } from '../live-capture.ts';
import { InspectError } from './home-network.ts';
import {
  fromEarlierBoot,
  ownerAlive,
  readRecord,
  removeRecord,
  restoreNetwork,
  settleRecord,
} from './restore-record.ts';

export interface Watchdog {
  /** The engine restored everything itself: the watchdog exits without touching anything. */
  disarm(): void;
  readonly pid: number | undefined;
}

/** How long a watchdog may take to say it is armed. */
const ARM_TIMEOUT_MS = 15_000;

/** How to start a module of this folder as a program: compiled `.js`, or `.ts` through tsx. */
function programArgs(name: string): string[] {
  const from = import.meta.url;
  if (!fileURLToPath(from).endsWith('.ts')) return [fileURLToPath(new URL(`./${name}.js`, from))];
  const tsx = pathToFileURL(createRequire(from).resolve('tsx')).href;
  return ['--import', tsx, fileURLToPath(new URL(`./${name}.ts`, from))];
}

/**
 * Starts the watchdog of session `session`'s record at `recordPath` (it logs to
 * `${recordPath}.log`) and resolves once it says it is armed; rejects with an InspectError when it
 * does not start.
 */
export function startWatchdog(recordPath: string, session: string): Promise<Watchdog> {
  const log = openSync(`${recordPath}.log`, 'a', 0o600);
  const child = spawn(process.execPath, [...programArgs('restore-watchdog-main'), recordPath, session], {
    detached: true,
    stdio: ['pipe', 'pipe', log],
    // the desktop app's binary is Electron: run as plain Node
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  closeSync(log);
  const { stdin, stdout } = child;
  if (stdin === null || stdout === null) throw new InspectError('the restore watchdog has no pipes');
  stdin.on('error', () => {
    // the watchdog exited
  });
  return new Promise((resolve, reject) => {
    let said = '';
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill();
      reject(
        new InspectError(
          `the restore watchdog did not start (${why}); inspect mode needs it to put the network back if Telltale is killed`,
        ),
      );
    };
    const timer = setTimeout(() => {
      fail(`no answer within ${ARM_TIMEOUT_MS / 1000} s`);
    }, ARM_TIMEOUT_MS);
    child.on('error', (error) => {
      fail(error.message);
    });
    child.on('exit', (code) => {
      if (!said.includes('armed')) fail(`it exited with status ${code}; see ${recordPath}.log`);
    });
    stdout.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      if (!said.includes('armed')) return;
      clearTimeout(timer);
      stdout.destroy();
      child.removeAllListeners('exit');
      child.unref();
      (stdin as unknown as { unref?: () => void }).unref?.();
      resolve({
        pid: child.pid,
        disarm() {
          if (stdin.writable) stdin.end('disarm\n');
        },
      });
    });
  });
}

/**
 * Restores the network from the record at `recordPath` and removes it: the record of session
 * `session` (the watchdog), or, without one, a record whose owner is no longer running (the next
 * start). A record from before this computer last started is only removed: the settings and
 * caches it would put back were reset by the restart. Settings that cannot be put back stay in
 * the record for the next try. Returns what it did in words, or null when there was nothing to do.
 */
export async function recoverNetwork(recordPath: string, session?: string): Promise<string | null> {
  let record;
  try {
    record = readRecord(recordPath);
  } catch (error) {
    removeRecord(recordPath);
    return `an unreadable inspect-mode record was removed (${(error as Error).message})`;
  }
  if (record === null) return null;
  if (session !== undefined ? record.session !== session : ownerAlive(record)) return null;
  if (fromEarlierBoot(record)) {
    removeRecord(recordPath);
    return null;
  }
  let channel: { send(frame: Uint8Array): void; close(): void } | null = null;
  try {
    channel = openFrameChannel(record.iface, 'less 1', () => undefined);
  } catch {
    // restore the settings at least
  }
  const { problems, failed } = await restoreNetwork(
    record,
    channel === null
      ? null
      : (f) => {
          channel.send(f);
        },
  );
  channel?.close();
  settleRecord(recordPath, record, failed);
  const what = `inspect mode's redirection of ${record.devices.length} device(s) on ${record.iface}, left by a Telltale that stopped without undoing it, was undone`;
  return problems.length === 0 ? what : `${what}, with problems: ${problems.join('; ')}`;
}

/** The watchdog's program: says it is armed, waits for its input to end, then restores unless disarmed. */
export async function runWatchdog(recordPath: string, session: string): Promise<void> {
  const log = (text: string): void => {
    appendFileSync(`${recordPath}.log`, `${new Date().toISOString()} ${text}\n`);
  };
  let input = '';
  let disarmed = false;
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const)
    process.on(signal, () => {
      log(`${signal} ignored: the watchdog ends when the engine does`);
    });
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    input += chunk;
    if (input.includes('disarm')) disarmed = true;
  });
  const ended = new Promise<void>((resolve) => {
    process.stdin.on('end', resolve);
    process.stdin.on('close', resolve);
    process.stdin.on('error', () => {
      resolve();
    });
  });
  process.stdout.write('armed\n');
  await ended;
  if (disarmed) return;
  const done = await recoverNetwork(recordPath, session);
  log(`the engine ended without restoring: ${done ?? 'its record is gone, nothing to do'}`);
}
