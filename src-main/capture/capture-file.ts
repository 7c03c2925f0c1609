/**
 * Capture files as a PacketSource: pcap or pcapng, plain or gzip-compressed (recognised by their
 * first bytes, whatever the file is called), streamed from disk in chunks so memory stays flat
 * whatever the file size, replayed as fast as possible or paced by the capture's own timestamps.
 *
 * Problems never throw out of iteration: each becomes a CaptureError in `errors` naming the file
 * and the byte offset (in the decompressed data for gzip files), and every packet before the
 * damage is delivered first. (One exception: when gzip data itself is corrupt, zlib discards the
 * output of the inflate step that hit the damage, up to MAX_GZIP_CHUNK bytes.)
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { captureError, type ParseFailure } from './capture-error.ts';
import { isGzip } from './capture-format.ts';
import { ChunkQueue, type StreamFailure } from './chunk-queue.ts';
import {
  emptySourceStats,
  type CaptureError,
  type PacketSource,
  type RawPacket,
  type ReplayPacing,
  type SourceStats,
} from './packet-source.ts';
import { RecordStream } from './record-stream.ts';
import { ReplayPacer, type PacerClock } from './replay-pacer.ts';

export interface CaptureFileOptions {
  /** Default `{ speed: 'max' }`. */
  pacing?: ReplayPacing;
  /** Most packets per batch (default 1024). */
  batchSize?: number;
  /** Bytes per file read and per inflated gzip chunk (default 1 MiB); small values exercise chunk boundaries in tests. */
  chunkSize?: number;
  /** Clock for paced replay (tests pass a fake one). */
  clock?: PacerClock;
}

const DEFAULT_BATCH_SIZE = 1024;
const DEFAULT_CHUNK_SIZE = 1024 * 1024;
/** The smallest gzip file (a 10-byte header and an 8-byte trailer). */
const GZIP_MIN_FILE = 18;
/** A trailer that claims more than this many times the compressed size is not believed (deflate's best is about 1032:1). */
const GZIP_MAX_RATIO = 1032;
/** zlib refuses output chunks smaller than this. */
const MIN_GZIP_CHUNK = 64;
/**
 * Inflated bytes per gzip output chunk. zlib drops the output of the step that meets corrupt data,
 * so this bounds what is lost before damage; 128 KiB inflates as fast as larger chunks.
 */
const MAX_GZIP_CHUNK = 128 * 1024;
/** Non-fatal problems listed per file before the rest are only counted. */
const MAX_LISTED_ERRORS = 100;

/** Opens a capture file for reading. Nothing happens until `batches()` is iterated. */
export function openCaptureFile(path: string, options: CaptureFileOptions = {}): PacketSource {
  return new CaptureFileSource(path, options);
}

/** What a whole-file read ends with. */
export interface CaptureFileSummary {
  stats: SourceStats;
  errors: readonly CaptureError[];
}

/**
 * Reads a whole capture file, handing each batch to `onBatch` (awaited, so a slow consumer slows
 * the reader rather than growing a queue). Never rejects for problems with the file.
 */
export async function readCaptureFile(
  path: string,
  onBatch: (batch: readonly RawPacket[]) => void | Promise<void>,
  options: CaptureFileOptions = {},
): Promise<CaptureFileSummary> {
  const source = openCaptureFile(path, options);
  for await (const batch of source.batches()) await onBatch(batch);
  return { stats: source.stats, errors: source.errors };
}

export class CaptureFileSource implements PacketSource {
  readonly stats: SourceStats = emptySourceStats();
  private readonly errorList: CaptureError[] = [];
  private unlistedErrors = 0;
  private readonly pacer: ReplayPacer;
  private readonly batchSize: number;
  protected readonly chunkSize: number;
  /** A stream's packets are handed on as they are parsed, not held back until a batch is full. */
  protected handOnParsed = false;
  protected compressed = false;
  /**
   * A gzip file's decompressed size from its trailer (ISIZE: the size modulo 2^32, exact below
   * 4 GiB for a file of one member), or null when it cannot be read or is implausible. Progress
   * then follows the parser through the decompressed data; the bytes the file reader has read are
   * no measure of it, as it reads far ahead of the parser (a whole 1 MB chunk at the first read).
   */
  private gzipSize: number | null = null;
  /** Bytes of the file read so far (ahead of the parser by the read-ahead). */
  protected rawPosition = 0;
  private iterated = false;
  protected stopped = false;
  private queue: ChunkQueue | null = null;
  protected readonly streams: Readable[] = [];

  constructor(
    readonly name: string,
    options: CaptureFileOptions,
  ) {
    this.pacer = new ReplayPacer(options.pacing, options.clock);
    this.batchSize = positiveInteger(options.batchSize, DEFAULT_BATCH_SIZE, 'batchSize');
    this.chunkSize = positiveInteger(options.chunkSize, DEFAULT_CHUNK_SIZE, 'chunkSize');
  }

  get errors(): readonly CaptureError[] {
    return this.errorList;
  }

  batches(): AsyncIterable<readonly RawPacket[]> {
    if (this.iterated) throw new Error(`${this.name}: a capture file source can be iterated only once`);
    this.iterated = true;
    return this.deliver();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.pacer.stop();
    this.closeStreams();
    this.onStop();
  }

  /** Called when the input's data has ended (a command source waits there for its exit status). */
  protected async inputEnded(): Promise<void> {
    // a file has nothing to wait for
  }

  /** What a subclass does besides closing the streams when stopped. */
  protected onStop(): void {
    // a file needs nothing more
  }

  pause(): void {
    this.pacer.pause();
  }

  setSpeed(speed: ReplayPacing['speed']): void {
    this.pacer.setSpeed(speed);
  }

  resume(): void {
    this.pacer.resume();
  }

  /** Batches from the parser, paced, counted into stats. */
  private async *deliver(): AsyncGenerator<readonly RawPacket[]> {
    try {
      const queue = await this.openStreams();
      if (queue === null) return;
      const records = new RecordStream(this.batchSize);
      for await (const batch of this.parse(queue, records)) {
        this.stats.filePosition = this.fileProgress(records.position);
        for await (const run of this.pacer.deliver(batch)) {
          this.count(run);
          yield run;
          if (this.stopped) return;
        }
        if (this.stopped) return;
        this.stats.position = records.position;
      }
      await this.inputEnded();
      this.stats.position = records.position;
      this.stats.filePosition = this.stats.totalBytes ?? this.rawPosition;
    } finally {
      this.closeStreams();
    }
  }

  /** Feeds chunks from the queue into the record stream and yields its batches. */
  private async *parse(queue: ChunkQueue, records: RecordStream): AsyncGenerator<RawPacket[]> {
    for (;;) {
      const chunk = await queue.next();
      if (chunk === null || this.stopped) break;
      records.push(chunk);
      for (let batch = records.nextBatch(); batch !== null; batch = records.nextBatch()) {
        this.report(records.takeProblems());
        yield batch;
        if (this.stopped) return;
      }
      this.report(records.takeProblems());
      if (records.failure !== null) break;
      const parsed = this.handOnParsed ? records.takeParsed() : null;
      if (parsed !== null) {
        yield parsed;
        if (this.stopped) return;
      }
    }
    if (this.stopped) return;
    const streamFailure = queue.failure;
    const last = records.finish(streamFailure === null);
    this.report(records.takeProblems());
    if (last.length > 0) yield last;
    if (streamFailure !== null && records.failure === null)
      this.reportStream(streamFailure, records.bytesReceived);
  }

  /** Opens the input and sets up the chunk queue (null after an error). */
  private async openStreams(): Promise<ChunkQueue | null> {
    const queue = await this.openInput();
    this.queue = queue;
    return queue;
  }

  /** Opens the file, checks for gzip and empty files, and makes the chunk queue (null after an error). */
  protected async openInput(): Promise<ChunkQueue | null> {
    let handle: FileHandle;
    try {
      handle = await open(this.name, 'r');
    } catch (e) {
      this.addError(captureError('io', this.place(-1), true, `cannot open the file (${errnoText(e)})`));
      return null;
    }
    try {
      const size = (await handle.stat()).size;
      this.stats.totalBytes = size;
      const head = Buffer.alloc(2);
      const { bytesRead } = await handle.read(head, 0, 2, 0);
      if (bytesRead === 0) {
        this.addError(captureError('empty', this.place(-1), true, 'the file is empty (0 bytes)'));
        await handle.close();
        return null;
      }
      this.compressed = isGzip(head.subarray(0, bytesRead));
      if (this.compressed && size >= GZIP_MIN_FILE) {
        const trailer = Buffer.alloc(4);
        await handle.read(trailer, 0, 4, size - 4);
        const isize = trailer.readUInt32LE(0);
        // a cut or concatenated file has no trailer of the whole: fall back to the bytes read
        this.gzipSize = isize >= size / 2 && isize <= size * GZIP_MAX_RATIO ? isize : null;
      }
    } catch (e) {
      this.addError(captureError('io', this.place(-1), true, `cannot read the file (${errnoText(e)})`));
      await handle.close().catch(() => undefined);
      return null;
    }
    if (this.stopped) {
      await handle.close();
      return null;
    }
    const raw = handle.createReadStream({ start: 0, highWaterMark: this.chunkSize });
    this.streams.push(raw);
    raw.on('data', (chunk: string | Buffer) => {
      this.rawPosition += chunk.length;
      if (!this.compressed) this.stats.filePosition = this.rawPosition;
    });
    return this.queueOf(raw);
  }

  /** The chunk queue of the raw input: through gunzip when `compressed`, else the input itself. */
  protected queueOf(raw: Readable): ChunkQueue {
    if (!this.compressed) return new ChunkQueue(raw, 'read');
    const gunzip = createGunzip({
      chunkSize: Math.min(MAX_GZIP_CHUNK, Math.max(MIN_GZIP_CHUNK, this.chunkSize)),
    });
    this.streams.push(gunzip);
    const queue = new ChunkQueue(gunzip, 'gzip');
    raw.on('error', (e: NodeJS.ErrnoException) => {
      queue.fail('read', e);
      gunzip.destroy();
    });
    raw.pipe(gunzip);
    return queue;
  }

  /**
   * The file's bytes behind `position` bytes of the (decompressed) capture data: for a gzip file
   * with a usable trailer its share of the compressed size, else what the reader has read.
   */
  protected fileProgress(position: number): number {
    const size = this.stats.totalBytes;
    if (!this.compressed || size === null) return this.rawPosition;
    if (this.gzipSize === null || position > this.gzipSize) return Math.min(this.rawPosition, size);
    return Math.round((size * position) / this.gzipSize);
  }

  private closeStreams(): void {
    this.queue?.close();
    for (const s of this.streams) s.destroy();
    this.streams.length = 0;
  }

  private count(run: readonly RawPacket[]): void {
    let bytes = 0;
    for (let i = 0; i < run.length; i++) bytes += run[i].origLen;
    this.stats.packets += run.length;
    this.stats.bytes += bytes;
  }

  protected report(problems: ParseFailure[]): void {
    for (const p of problems) this.addError(captureError(p.kind, this.place(p.offset), p.fatal, p.detail));
  }

  /** A read error, or damaged gzip data, ends the capture where the inflated data ends. */
  protected reportStream(failure: StreamFailure, offset: number): void {
    const { origin, error } = failure;
    const place = this.place(offset);
    if (origin === 'read') {
      this.addError(captureError('io', place, true, `cannot read the file (${errnoText(error)})`));
    } else if (error.code === 'Z_BUF_ERROR') {
      // zlib's "unexpected end of file": the compressed file was cut short.
      this.addError(
        captureError('truncated', place, true, 'gzip data ends early (the compressed file is cut short)'),
      );
    } else {
      this.addError(captureError('io', place, true, `corrupt gzip data (${error.message})`));
    }
  }

  protected addError(error: CaptureError): void {
    if (error.fatal || this.errorList.length < MAX_LISTED_ERRORS) {
      this.errorList.push(error);
    } else if (++this.unlistedErrors === 1) {
      this.errorList.push(
        captureError(
          'malformed',
          this.place(-1),
          false,
          `more problems than ${MAX_LISTED_ERRORS}; the rest are not listed`,
        ),
      );
    }
  }

  protected place(offset: number): { source: string; offset: number; decompressed: boolean } {
    return { source: this.name, offset, decompressed: this.compressed };
  }
}

function positiveInteger(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${what} must be a positive integer, not ${value}`);
  return value;
}

/** "ENOENT: no such file or directory" from a Node error, or its text. */
export function errnoText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    const text = e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
    return code !== undefined ? `${code}: ${text}` : text;
  }
  return String(e);
}
