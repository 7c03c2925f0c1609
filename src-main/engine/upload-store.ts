/**
 * Capture files uploaded by a browser (browser mode's `POST /upload`), kept in one bounded folder
 * of the data folder: all uploads together may hold at most `quotaBytes` (an upload that would
 * pass it is refused while it arrives, and what it wrote is removed), each upload lives in its own
 * sub-folder (the file keeps its name, the UI shows it), and uploads go away when the session
 * that read them closes, when a newer session opens without them, and when the server starts
 * (what a previous run left).
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/** A file name safe to keep: letters, digits, dot, dash, underscore; at most 100 characters. */
export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return (cleaned === '' ? 'capture' : cleaned).slice(0, 100);
}

/** An upload the store refused or could not finish; `status` is the HTTP status to answer. */
export class UploadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Upload {
  dir: string;
  bytes: number;
  /** Still arriving: never removed by a sweep. */
  receiving: boolean;
}

export class UploadStore {
  private readonly uploads = new Map<string, Upload>();
  /** Bytes of every upload kept or arriving. */
  private used = 0;

  /**
   * Empties `dir` (uploads of an earlier run are never reused: their session is gone) and
   * keeps new uploads there, at most `quotaBytes` in all.
   */
  constructor(
    readonly dir: string,
    readonly quotaBytes: number,
  ) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
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
    if (declaredBytes !== null && declaredBytes > this.quotaBytes - this.used)
      throw this.full(declaredBytes, this.used);
    const dir = join(this.dir, randomUUID());
    mkdirSync(dir);
    const path = join(dir, safeFileName(name));
    const upload: Upload = { dir, bytes: 0, receiving: true };
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
          upload.bytes += chunk.length;
          this.used += chunk.length;
          if (this.used > this.quotaBytes) {
            failWith(this.full(upload.bytes, this.used - upload.bytes));
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

  /** Deletes every finished upload not in `keep` (those of the session now open). */
  sweep(keep: ReadonlySet<string>): void {
    for (const [path, u] of [...this.uploads]) if (!u.receiving && !keep.has(path)) this.remove(path);
  }

  /** Deletes every upload (the server is closing). */
  clear(): void {
    for (const path of [...this.uploads.keys()]) this.remove(path);
  }
}
