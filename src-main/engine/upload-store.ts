/**
 * Capture files uploaded by a browser (browser mode's `POST /upload`), kept in one bounded folder
 * of the data folder: all uploads together may hold at most `quotaBytes` (each counts at least
 * one file system block; an upload that would pass the quota is refused while it arrives, and
 * what it wrote is removed) and at most MAX_UPLOADS files; each upload lives in a sub-folder of
 * its own, named by a random UUID (the file keeps its name, the UI shows it). An upload goes away
 * when the session that read it is replaced or closed; one no session opened goes away
 * UNOPENED_TTL_MS after it arrived (a page that uploads and then opens is never raced); all go
 * when the server starts (what a previous run left) — and only those UUID folders are ever
 * deleted, so a data folder that holds other files loses none of them.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/** A file name safe to keep: letters, digits, dot, dash, underscore; at most 100 characters. */
export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return (cleaned === '' ? 'capture' : cleaned).slice(0, 100);
}

/** An upload the store refused or could not finish; `status` is the HTTP status to answer. */
/** Most uploads kept at once. */
export const MAX_UPLOADS = 1000;
/** What an upload counts against the quota at least (a file system block: empty uploads are not free). */
export const MIN_UPLOAD_BYTES = 4096;

const UPLOAD_FOLDER = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class UploadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** How long an upload no session has opened is kept (the page opens it right after the upload). */
export const UNOPENED_TTL_MS = 10 * 60_000;

interface Upload {
  dir: string;
  bytes: number;
  /** Still arriving: never removed by a sweep. */
  receiving: boolean;
  /** When it arrived in full (ms since the epoch; 0 while arriving). */
  arrivedAt: number;
  /** A session has read it. */
  opened: boolean;
}

export class UploadStore {
  private readonly uploads = new Map<string, Upload>();
  /** Bytes of every upload kept or arriving. */
  private used = 0;

  /**
   * Deletes the uploads an earlier run left in `dir` (never reused: their session is gone) and
   * keeps new uploads there, at most `quotaBytes` in all.
   */
  constructor(
    readonly dir: string,
    readonly quotaBytes: number,
  ) {
    mkdirSync(dir, { recursive: true });
    for (const entry of readdirSync(dir, { withFileTypes: true }))
      if (entry.isDirectory() && UPLOAD_FOLDER.test(entry.name))
        rmSync(join(dir, entry.name), { recursive: true, force: true });
  }

  get bytesUsed(): number {
    return this.used;
  }

  /** Paths of the uploads kept. */
  paths(): string[] {
    return [...this.uploads.keys()];
  }

  has(path: string): boolean {
    return this.uploads.has(path);
  }

  /**
   * Writes `body` as a new upload named `name`; resolves with its path. `declaredBytes` (the
   * Content-Length, when sent) lets a too-large upload be refused before it is read. An upload
   * refused on the way rejects at once; the rest of its body is read and dropped (never
   * written), so the client can read the refusal.
   */
  async receive(name: string, body: Readable, declaredBytes: number | null): Promise<string> {
    if (this.uploads.size >= MAX_UPLOADS)
      throw new UploadError(
        413,
        `no room for another upload: ${MAX_UPLOADS} are kept already (they go when a session opens without them)`,
      );
    if (Math.max(declaredBytes ?? 0, MIN_UPLOAD_BYTES) > this.quotaBytes - this.used)
      throw this.full(Math.max(declaredBytes ?? 0, MIN_UPLOAD_BYTES), this.used);
    const dir = join(this.dir, randomUUID());
    mkdirSync(dir);
    const path = join(dir, safeFileName(name));
    // every upload counts at least one block, from the start (so empty uploads cannot pile up)
    const upload: Upload = { dir, bytes: MIN_UPLOAD_BYTES, receiving: true, arrivedAt: 0, opened: false };
    this.used += MIN_UPLOAD_BYTES;
    let received = 0;
    this.uploads.set(path, upload);
    const out = createWriteStream(path);
    try {
      await new Promise<void>((resolveWrite, reject) => {
        let failed = false;
        const failWith = (error: Error): void => {
          if (failed) return;
          failed = true;
          out.destroy();
          body.resume(); // drop the rest
          reject(error);
        };
        body.on('data', (chunk: Buffer) => {
          if (failed) return;
          received += chunk.length;
          // the upload's charge: what arrived, at least one block
          const charge = Math.max(received, MIN_UPLOAD_BYTES);
          this.used += charge - upload.bytes;
          upload.bytes = charge;
          if (this.used > this.quotaBytes) {
            failWith(this.full(received, this.used - upload.bytes));
            return;
          }
          if (!out.write(chunk)) {
            body.pause();
            out.once('drain', () => body.resume());
          }
        });
        body.once('end', () => {
          if (!failed) out.end();
        });
        body.once('error', (error) => {
          failWith(new UploadError(400, `the upload failed: ${error.message}`));
        });
        body.once('close', () => {
          if (!body.readableEnded) failWith(new UploadError(400, 'the upload was cut off'));
        });
        out.once('error', (error) => {
          failWith(new UploadError(500, `the upload could not be written: ${error.message}`));
        });
        out.once('finish', () => {
          if (!failed) resolveWrite();
        });
      });
    } catch (error) {
      this.remove(path);
      throw error;
    }
    upload.receiving = false;
    upload.arrivedAt = Date.now();
    return path;
  }

  /** The refusal of an upload of `bytes` (or more) while `others` bytes are kept. */
  private full(bytes: number, others: number): UploadError {
    const mib = (n: number): string => `${Math.ceil(n / 2 ** 20)} MiB`;
    return new UploadError(
      413,
      `no room for this upload (${mib(bytes)} or more): uploads may hold ${mib(this.quotaBytes)} in all ` +
        `and ${mib(others)} is taken by other uploads. Start telltale serve with --allow DIR to open ` +
        'large captures from that folder without uploading them, or with --upload-quota to allow more',
    );
  }

  /** Deletes an upload (no-op for a path that is not one). */
  remove(path: string): void {
    const u = this.uploads.get(path);
    if (u === undefined) return;
    this.uploads.delete(path);
    this.used -= u.bytes;
    rmSync(u.dir, { recursive: true, force: true });
  }

  /**
   * `keep` are the files of the session now open (none when it closed): those uploads are marked
   * read; every other upload a session read is deleted, and so is one no session opened within
   * UNOPENED_TTL_MS of its arrival.
   */
  sweep(keep: ReadonlySet<string>, now = Date.now()): void {
    for (const [path, u] of [...this.uploads]) {
      if (keep.has(path)) u.opened = true;
      else if (!u.receiving && (u.opened || now - u.arrivedAt > UNOPENED_TTL_MS)) this.remove(path);
    }
  }

  /** Deletes every upload (the server is closing). */
  clear(): void {
    for (const path of [...this.uploads.keys()]) this.remove(path);
  }
}
