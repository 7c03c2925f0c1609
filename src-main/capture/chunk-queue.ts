/**
 * Pulls chunks from a Node readable stream one at a time, with bounded buffering: the stream is
 * paused while `highWater` chunks wait. Unlike a stream's async iterator, it hands out every chunk
 * the stream emitted before an error, and it records the error instead of throwing it.
 * `origin` names what an error of `stream` means; errors of streams feeding it go through fail().
 */
import type { Readable } from 'node:stream';

/** Where a stream problem arose: reading the file, or inflating gzip data. */
export type StreamFailureOrigin = 'read' | 'gzip';

export interface StreamFailure {
  origin: StreamFailureOrigin;
  error: NodeJS.ErrnoException;
}

export class ChunkQueue {
  private readonly chunks: Buffer[] = [];
  private ended = false;
  private wakeUp: (() => void) | null = null;
  /** The first error any stream of the pipeline reported. */
  failure: StreamFailure | null = null;

  constructor(
    private readonly stream: Readable,
    origin: StreamFailureOrigin,
    private readonly highWater = 2,
  ) {
    stream.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      if (this.chunks.length >= this.highWater) stream.pause();
      this.notify();
    });
    stream.on('end', () => {
      this.ended = true;
      this.notify();
    });
    stream.on('close', () => {
      this.ended = true;
      this.notify();
    });
    stream.on('error', (error: NodeJS.ErrnoException) => {
      this.fail(origin, error);
    });
  }

  /** Records a failure of `origin` (the first one wins) and ends the queue after the chunks already received. */
  fail(origin: StreamFailureOrigin, error: NodeJS.ErrnoException): void {
    this.failure ??= { origin, error };
    this.ended = true;
    this.notify();
  }

  /** The next chunk, or null at the end of the data (or after a failure). */
  async next(): Promise<Buffer | null> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk !== undefined) {
        if (!this.ended && this.chunks.length < this.highWater && this.stream.isPaused())
          this.stream.resume();
        return chunk;
      }
      if (this.ended) return null;
      await new Promise<void>((resolve) => {
        this.wakeUp = resolve;
      });
    }
  }

  /** Stops reading and drops what is queued. */
  close(): void {
    this.ended = true;
    this.chunks.length = 0;
    this.notify();
  }

  private notify(): void {
    const wake = this.wakeUp;
    if (wake !== null) {
      this.wakeUp = null;
      wake();
    }
  }
}
