/**
 * Which files a client may have the engine read. A path that comes from a client (a browser tab,
 * the app's window) is never trusted: it may name only a file the person chose — picked in a
 * dialog or dropped on the window (the desktop app's main process grants those), uploaded (browser
 * mode), given on the command line — or a file under a folder the person allowed (`telltale serve
 * --allow DIR`). Everything else is refused with the same message whether or not it exists, so a
 * client learns nothing about files it was not given.
 *
 * Paths are compared after resolving symbolic links, on both sides, so a link inside an allowed
 * folder cannot lead out of it.
 */
import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import {
  fail,
  isRequestChannel,
  ok,
  type RequestChannel,
  type RequestOf,
  type Result,
} from '../shared/ipc-contract.ts';
import { checkPayload, quoteValue } from '../shared/request-validation.ts';

/** The real path of `path`, or null when it does not exist (or cannot be resolved). */
function real(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

function inside(folder: string, path: string): boolean {
  const r = relative(folder, path);
  return r !== '' && !r.startsWith(`..${sep}`) && r !== '..' && !isAbsolute(r);
}

/**
 * Where `path` (absolute, missing) would be once its links are resolved: the real path of its
 * deepest existing ancestor with the rest of the path after it; null when nothing resolves.
 */
function realOfMissing(path: string): string | null {
  let dir = path;
  const rest: string[] = [];
  for (;;) {
    const r = real(dir);
    if (r !== null) return join(r, ...rest.reverse());
    const parent = dirname(dir);
    if (parent === dir) return null;
    rest.push(basename(dir));
    dir = parent;
  }
}

export class FileGrants {
  /** Files granted one by one, by their real path. */
  private readonly files = new Set<string>();
  /** The same files as they were given (so a granted file that is gone is said to be missing). */
  private readonly given = new Set<string>();
  private readonly folders: string[] = [];

  /** `advice` ends the refusal message: how the person can give this client a file. */
  constructor(private readonly advice: string) {}

  /** Lets clients open this file (it must exist). */
  allowFile(path: string): void {
    const r = real(path);
    if (r === null) return;
    this.files.add(r);
    this.given.add(resolve(path));
  }

  /** Lets clients open every file under this folder; throws when it is not a folder. */
  allowFolder(path: string): void {
    const r = real(path);
    if (r === null || !statSync(r).isDirectory()) throw new Error(`${path}: not a folder`);
    if (!this.folders.includes(r)) this.folders.push(r);
  }

  get allowedFolders(): readonly string[] {
    return this.folders;
  }

  /**
   * The real path of `path` when a client may read it, else a `permission` error that does not
   * say whether the file exists. `what` names the file in the message ("the capture file").
   * A missing file is reported as missing only where the client could have opened it: a granted
   * file that is gone, or a path that (links resolved as far as they exist) lies in an allowed
   * folder — so a link in an allowed folder cannot tell what exists outside it.
   */
  check(path: string, what: string): Result<string> {
    const refused = fail<string>(
      'permission',
      `${what} "${path.length > 200 ? `${path.slice(0, 200)}…` : path}" was not chosen in Telltale: ${this.advice}`,
    );
    if (!isAbsolute(path)) return refused;
    const lexical = resolve(path);
    const r = real(lexical);
    if (r !== null) return this.files.has(r) || this.folders.some((f) => inside(f, r)) ? ok(r) : refused;
    const would = realOfMissing(lexical);
    const mayKnow = this.given.has(lexical) || (would !== null && this.folders.some((f) => inside(f, would)));
    return mayKnow ? fail('not-found', `${path}: no such file`) : refused;
  }
}

/**
 * A client's request made safe to hand to the engine: its payload checked against the contract
 * and every path in it replaced by the real path `mayRead` allows, or the first refusal. The
 * browser-mode server and the desktop app's main process both pass every request through this.
 */
export function checkClientRequest(
  channel: unknown,
  payload: unknown,
  mayRead: (path: string, what: string) => Result<string>,
): Result<{ channel: RequestChannel; payload: unknown }> {
  if (!isRequestChannel(channel)) return fail('bad-request', `unknown request ${quoteValue(channel)}`);
  const checked = checkPayload(channel, payload);
  if (!checked.ok) return checked;
  if (channel !== 'capture.openFiles') return ok({ channel, payload: checked.value });
  const request = checked.value as RequestOf<'capture.openFiles'>;
  const paths: string[] = [];
  for (const path of request.paths) {
    const r = mayRead(path, 'the capture file');
    if (!r.ok) return r;
    paths.push(r.value);
  }
  let labels = request.labels;
  if (typeof labels === 'string') {
    const r = mayRead(labels, 'the labels file');
    if (!r.ok) return r;
    labels = r.value;
  }
  return ok({ channel, payload: { ...request, paths, ...(labels === undefined ? {} : { labels }) } });
}
