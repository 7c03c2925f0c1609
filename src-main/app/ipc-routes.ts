/**
 * The desktop app's IPC route table and the rules around it (no `electron` import): which
 * request channels the main process answers itself (native dialogs) and which go to the engine
 * process, the check every message's sender and payload must pass (files: only those the person
 * picked or dropped), the engine's request bookkeeping over its MessagePort, and what is
 * remembered so a restarted engine reopens the session.
 */
import {
  fail,
  isRequestChannel,
  REQUEST_CHANNELS,
  type RequestChannel,
  type RequestOf,
  type Result,
  type WireMessage,
} from '../shared/ipc-contract.ts';
import { isAbsolute } from 'node:path';
import { checkClientRequest, FileGrants } from '../engine/file-grants.ts';
import { MAX_PATH_LENGTH, MAX_PATHS } from '../shared/request-validation.ts';
import { isAppUrl } from './security.ts';

/** Requests the main process answers itself. */
export const MAIN_CHANNELS: readonly RequestChannel[] = ['dialog.openCaptures'];

/**
 * A PDF report: the engine makes the page, and the main process prints it with the app's own
 * Chromium (a computer with the desktop app needs no other browser); a web page comes from the
 * engine alone.
 */
export function printsInMain(
  channel: RequestChannel,
  payload: unknown,
): payload is RequestOf<'report.render'> {
  return channel === 'report.render' && (payload as RequestOf<'report.render'>).format === 'pdf';
}

export type Route = 'main' | 'engine';

/** The route table: every channel of the contract, to the main process or to the engine. */
export const ROUTES: Readonly<Record<RequestChannel, Route>> = Object.fromEntries(
  REQUEST_CHANNELS.map((c) => [c, MAIN_CHANNELS.includes(c) ? 'main' : 'engine']),
) as Record<RequestChannel, Route>;

/**
 * Whether an IPC message may be answered: it must come from the app's own window, from a frame
 * showing the app's own UI, on a channel of the contract.
 */
export function checkRequest(sender: IpcSender, channel: unknown): Result<RequestChannel> {
  if (!sender.isAppWindow || !isAppUrl(sender.frameUrl)) {
    return fail('permission', 'request refused: it does not come from the Telltale window');
  }
  if (!isRequestChannel(channel)) return fail('bad-request', `unknown request "${String(channel)}"`);
  return { ok: true, value: channel };
}

/** Who sent an IPC message (the main process fills it in from the event). */
export interface IpcSender {
  isAppWindow: boolean;
  frameUrl: string | undefined;
}

/**
 * A request from the window made safe to answer: sender and channel checked (`checkRequest`),
 * the payload checked against the contract, and every path in it one the person chose (`grants`:
 * picked in a dialog or dropped on the window). Refusals are errors as data.
 */
export function checkIpcRequest(
  sender: IpcSender,
  channel: unknown,
  payload: unknown,
  grants: FileGrants,
): Result<{ channel: RequestChannel; payload: unknown }> {
  const checked = checkRequest(sender, channel);
  if (!checked.ok) return checked;
  return checkClientRequest(checked.value, payload, (path, what) => grants.check(path, what));
}

/**
 * The preload's grant of files the person dropped or picked in the page: from the app's window,
 * a list of at most MAX_PATHS absolute paths of regular files; each is then granted.
 */
export function grantDroppedFiles(sender: IpcSender, paths: unknown, grants: FileGrants): Result<null> {
  if (!sender.isAppWindow || !isAppUrl(sender.frameUrl))
    return fail('permission', 'request refused: it does not come from the Telltale window');
  if (!Array.isArray(paths) || paths.length > MAX_PATHS || !paths.every((p) => typeof p === 'string'))
    return fail('bad-request', 'the dropped files must be a list of paths');
  for (const path of paths) {
    if (path.length > MAX_PATH_LENGTH || !isAbsolute(path)) return fail('bad-request', 'not a file path');
  }
  for (const path of paths) grants.allowFile(path);
  return { ok: true, value: null };
}

/** The desktop app's grants: what the person picked in a dialog or dropped on the window. */
export function desktopGrants(): FileGrants {
  return new FileGrants('open it with File ▸ Open Capture… or drop it on the window');
}

interface Pending {
  resolve: (r: Result<unknown>) => void;
  timer: NodeJS.Timeout;
}

/** The main side of the engine's MessagePort: numbered requests and their answers. */
export class EngineRequests {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly timeoutMs = 10 * 60_000) {}

  /** Sends a request with `post`; resolves with the engine's answer, or an error as data. */
  send(post: (m: WireMessage) => void, channel: RequestChannel, payload: unknown): Promise<Result<unknown>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(fail('unavailable', `${channel}: the engine did not answer`));
      }, this.timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve, timer });
      try {
        post({ type: 'request', id, channel, payload });
      } catch (error) {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(fail('unavailable', `the engine is not running (${(error as Error).message})`));
      }
    });
  }

  /** An answer from the engine. */
  receive(id: number, result: Result<unknown>): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    clearTimeout(p.timer);
    this.pending.delete(id);
    p.resolve(result);
  }

  /** The engine went away: every open request fails. */
  failAll(message: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve(fail('unavailable', message));
      this.pending.delete(id);
    }
  }

  get size(): number {
    return this.pending.size;
  }
}

/** A request that starts a session, as a restarted engine should repeat it. */
export type ReopenRequest =
  | { channel: 'capture.openFiles'; payload: RequestOf<'capture.openFiles'> }
  | { channel: 'capture.startLive'; payload: RequestOf<'capture.startLive'> }
  | { channel: 'capture.startRouter'; payload: RequestOf<'capture.startRouter'> };

/**
 * What a restarted engine needs to reopen the session: the last request that started one and
 * succeeded. Files are read again (as fast as possible: they were read once already); a live
 * capture starts again on the same interface and filter (the packets before the crash are gone),
 * unless the person had stopped it.
 */
export class SessionMemory {
  private last: ReopenRequest | null = null;

  /** Notes a request and its answer. */
  note(channel: RequestChannel, payload: unknown, result: Result<unknown>): void {
    if (!result.ok) return;
    if (channel === 'capture.openFiles')
      this.last = { channel, payload: payload as RequestOf<'capture.openFiles'> };
    else if (channel === 'capture.startLive')
      this.last = { channel, payload: payload as RequestOf<'capture.startLive'> };
    else if (channel === 'capture.startRouter')
      this.last = { channel, payload: payload as RequestOf<'capture.startRouter'> };
    // inspect mode changes the network: a restarted engine asks the person again, never by itself
    else if (channel === 'capture.startInspect') this.last = null;
    else if (channel === 'capture.stop' && this.last !== null && this.last.channel !== 'capture.openFiles')
      this.last = null;
  }

  /** The request that reopens the session, or null when there is none to reopen. */
  reopenRequest(): ReopenRequest | null {
    const last = this.last;
    if (last === null) return null;
    if (last.channel === 'capture.openFiles')
      return { channel: last.channel, payload: { ...last.payload, speed: 'max' } };
    // a copy, so that a later change to the request cannot reach the memory
    return structuredClone(last);
  }
}

/** Milliseconds before restart attempt `n` (0-based): 0.5 s doubling to 30 s. */
export function restartDelay(attempt: number): number {
  return Math.min(30_000, 500 * 2 ** attempt);
}

/** Crashes within this many milliseconds of a start count as repeated (the back-off grows). */
export const CRASH_WINDOW_MS = 60_000;
