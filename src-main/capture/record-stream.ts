/**
 * The synchronous heart of the capture-file reader: takes the (decompressed) capture data as a
 * sequence of chunks of any size and hands out batches of packets. It recognises the format from
 * the first bytes, lets the format's RecordParser read whole records straight out of each chunk,
 * and stitches together the one record that straddles two chunks, so memory is bounded by a
 * chunk plus one record. Knows nothing about files or streams, which keeps it easy to test.
 */
import type { ParseFailure } from './capture-error.ts';
import { detectFormat, MAGIC_PROBE_BYTES } from './capture-format.ts';
import { PacketBatch, viewOf, type RecordParser } from './packet-batch.ts';
import type { RawPacket } from './packet-source.ts';

const EMPTY_CHUNK = Buffer.alloc(0);

export class RecordStream {
  /** 'pcap' / 'pcapng' once recognised. */
  format: 'pcap' | 'pcapng' | null = null;
  /** Capture offset just past the last record read. */
  position = 0;
  /** The fatal problem that ended reading, if any. */
  failure: ParseFailure | null = null;
  private parser: RecordParser | null = null;
  private batch: PacketBatch;
  /** Problems to report (drained by takeProblems). */
  private problems: ParseFailure[] = [];
  /** Start of a record cut by the end of a chunk (before the format is known: the first bytes). */
  private pending: Buffer | null = null;
  private pendingAt = 0;
  /** The chunk being parsed, its capture offset, and how far it has been read. */
  private chunk: Buffer = EMPTY_CHUNK;
  private chunkView: DataView = viewOf(EMPTY_CHUNK);
  private chunkAt = 0;
  private chunkOff = 0;
  /** Capture offset of the byte after the last one pushed. */
  private received = 0;

  constructor(private readonly batchSize: number) {
    this.batch = new PacketBatch(batchSize, 0);
  }

  /** Total bytes pushed so far. */
  get bytesReceived(): number {
    return this.received;
  }

  /** Accepts the next chunk of capture data. Call only once `nextBatch()` has returned null. */
  push(chunk: Buffer): void {
    this.chunk = chunk;
    this.chunkView = viewOf(chunk);
    this.chunkAt = this.received;
    this.chunkOff = 0;
    this.received += chunk.length;
  }

  /**
   * The next full batch that the data pushed so far holds, or null when more data is needed (or
   * reading has failed: see `failure`). Packets that did not fill a batch wait for `finish()`.
   */
  nextBatch(): RawPacket[] | null {
    if (this.failure !== null) return null;
    // Without unread data a pending record cannot progress either.
    if (this.chunkOff >= this.chunk.length) return this.takeIfFull();
    let parser = this.parser;
    if (parser === null) {
      parser = this.recognise();
      if (parser === null) return null;
    }
    for (;;) {
      const full = this.takeIfFull();
      if (full !== null) return full;
      if (this.pending !== null && !this.stitch(parser)) return null;
      if (this.chunkOff >= this.chunk.length) return null;
      const off = parser.parse(this.chunkView, this.chunkOff, this.chunk.length, this.batch, this.chunkAt);
      this.batch.seal(this.chunk);
      this.collect(parser);
      this.chunkOff = off;
      this.position = this.chunkAt + off;
      if (parser.failure !== null) return null;
      if (!this.batch.full && off < this.chunk.length) {
        // The rest of the chunk is the start of a record that the next chunk completes.
        this.pending = this.chunk.subarray(off);
        this.pendingAt = this.chunkAt + off;
        this.chunkOff = this.chunk.length;
        return null;
      }
    }
  }

  /**
   * Ends the data: returns the packets of the last, partial batch (possibly none) and notes a
   * record cut by the end of the data as 'truncated' when `reportCut`.
   */
  finish(reportCut = true): RawPacket[] {
    if (this.failure === null && reportCut) {
      if (this.parser === null) this.finishUnrecognised();
      else if (this.pending !== null) {
        const detail = this.parser.describeCut(viewOf(this.pending));
        this.fail({ kind: 'truncated', offset: this.pendingAt, detail, fatal: true });
      }
    }
    const packets = this.batch.packets;
    this.batch = new PacketBatch(this.batchSize, this.batch.indexAfter);
    return packets;
  }

  /** Problems found since the last call, oldest first. */
  takeProblems(): ParseFailure[] {
    const p = this.problems;
    if (p.length > 0) this.problems = [];
    return p;
  }

  /**
   * The packets parsed so far that did not yet fill a batch (null when there are none): a live
   * stream hands them on as they come instead of waiting for a full batch. Call only once
   * `nextBatch()` has returned null.
   */
  takeParsed(): RawPacket[] | null {
    if (this.batch.length === 0) return null;
    const packets = this.batch.packets;
    this.batch = new PacketBatch(this.batchSize, this.batch.indexAfter);
    return packets;
  }

  private takeIfFull(): RawPacket[] | null {
    if (!this.batch.full) return null;
    const packets = this.batch.packets;
    this.batch = new PacketBatch(this.batchSize, this.batch.indexAfter);
    return packets;
  }

  /** Gathers the first bytes until the format is known; then the data so far becomes the chunk. */
  private recognise(): RecordParser | null {
    const head = this.pending === null ? this.chunk : Buffer.concat([this.pending, this.chunk]);
    if (head.length < MAGIC_PROBE_BYTES) {
      this.pending = head;
      this.chunkOff = this.chunk.length;
      return null;
    }
    const verdict = detectFormat(head);
    if (verdict.kind !== 'parser') {
      const detail = verdict.kind === 'unknown' ? verdict.detail : 'not a capture file';
      this.fail({ kind: 'bad-magic', offset: 0, detail, fatal: true });
      return null;
    }
    this.parser = verdict.parser;
    this.format = verdict.format;
    this.pending = null;
    this.chunk = head;
    this.chunkView = viewOf(head);
    this.chunkAt = 0;
    this.chunkOff = 0;
    return verdict.parser;
  }

  /** The data ended before the format was known. */
  private finishUnrecognised(): void {
    const head = this.pending;
    if (head === null || head.length === 0) {
      this.fail({ kind: 'empty', offset: 0, detail: 'the capture holds no data', fatal: true });
      return;
    }
    const verdict = detectFormat(head);
    if (verdict.kind === 'unknown') {
      this.fail({ kind: 'bad-magic', offset: 0, detail: verdict.detail, fatal: true });
    } else {
      const detail = `file ends inside the capture file header (only ${head.length} bytes)`;
      this.fail({ kind: 'truncated', offset: 0, detail, fatal: true });
    }
  }

  /**
   * Completes the pending record with bytes from the current chunk and parses it. Returns false
   * when the chunk ran out first (the record still pending) or the record is damaged.
   */
  private stitch(parser: RecordParser): boolean {
    let pending = this.pending!;
    const chunk = this.chunk;
    let taken = this.chunkOff;
    for (;;) {
      let want = parser.probeBytes;
      if (pending.length >= want) {
        want = parser.recordLength(viewOf(pending), 0, this.pendingAt);
        if (want < 0) {
          this.collect(parser);
          return false;
        }
        if (pending.length >= want) break;
      }
      const more = Math.min(want - pending.length, chunk.length - taken);
      if (more === 0) {
        this.pending = pending;
        this.chunkOff = taken;
        return false;
      }
      pending = Buffer.concat([pending, chunk.subarray(taken, taken + more)]);
      taken += more;
    }
    const end = parser.parse(viewOf(pending), 0, pending.length, this.batch, this.pendingAt);
    this.batch.seal(pending);
    this.collect(parser);
    this.position = this.pendingAt + end;
    this.pending = null;
    this.chunkOff = taken;
    return parser.failure === null;
  }

  /** Moves the parser's notices and failure into the problem list. */
  private collect(parser: RecordParser): void {
    const notices = parser.takeNotices();
    if (notices !== null) this.problems.push(...notices);
    if (parser.failure !== null && this.failure === null) this.fail(parser.failure);
  }

  private fail(problem: ParseFailure): void {
    this.failure = problem;
    this.problems.push(problem);
  }
}
