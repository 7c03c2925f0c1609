/**
 * A session's per-packet exports (audit/packet-labels.ts): each observer's CSV is made once, on
 * the first request, into a private temporary folder, handed over in parts, and deleted with the
 * session. Requests for one session run one after another (a second request waits for the file the
 * first is making).
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PacketLabelsFile } from '../audit/packet-labels.ts';
import type { ModelView } from '../inference/model-manifest.ts';

export interface PacketExportPart {
  part: number;
  parts: number;
  rows: number;
  csv: string;
}

export class PacketExports {
  private dir: string | null = null;
  private readonly files = new Map<ModelView, PacketLabelsFile & { path: string }>();
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  /**
   * Part `part` of `view`'s export; part 0 first makes the file with `make(path)` unless it
   * exists. Throws a RangeError for a part it does not have (or a later part before part 0).
   */
  part(
    view: ModelView,
    part: number,
    make: (path: string) => Promise<PacketLabelsFile>,
  ): Promise<PacketExportPart> {
    const next = this.queue.then(async () => {
      if (this.disposed) throw new Error('the session has ended');
      let file = this.files.get(view);
      if (file === undefined) {
        if (part !== 0) throw new RangeError('ask for part 0 first: it makes the file');
        this.dir ??= mkdtempSync(join(tmpdir(), 'telltale-packets-'));
        const path = join(this.dir, `packets-${view}.csv`);
        const made = await make(path);
        if (this.disposed) throw new Error('the session has ended');
        file = { ...made, path };
        this.files.set(view, file);
      }
      return readPart(file, part);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Deletes the files (after any request in progress). */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.queue;
    if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
    this.files.clear();
  }
}

function readPart(file: PacketLabelsFile & { path: string }, part: number): PacketExportPart {
  const parts = file.partStarts.length;
  if (part >= parts) throw new RangeError(`part ${part} does not exist: the export has ${parts}`);
  const start = file.partStarts[part];
  const end = part + 1 < parts ? file.partStarts[part + 1] : file.bytes;
  const buffer = Buffer.alloc(end - start);
  const fd = openSync(file.path, 'r');
  try {
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, start + read);
      if (n === 0) break;
      read += n;
    }
  } finally {
    closeSync(fd);
  }
  return { part, parts, rows: file.rows, csv: buffer.toString('utf8') };
}
