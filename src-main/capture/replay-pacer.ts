/**
 * Replay pacing for any PacketSource: delivers packets as fast as possible, or paced by their own
 * capture timestamps at a chosen speed (1 = real time, 10 = ten times faster), and holds delivery
 * while paused.
 *
 * Paced delivery is scheduled against an anchor (the first packet's timestamp and the wall-clock
 * time it was delivered): a packet is due at `anchorWall + (ts - anchorTs) / speed`, so the delay
 * between two packets equals their timestamp delta divided by the speed and errors never
 * accumulate. A batch is split into the runs of packets due together. Pausing stops the clock:
 * on resume the anchor moves forward by the time spent paused. Time comes from an injectable
 * clock so tests run on a fake one.
 */
import type { RawPacket, ReplayPacing } from './packet-source.ts';

/** Milliseconds and sleeping; `sleep` must resolve (never reject) when `signal` aborts. */
export interface PacerClock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** The real clock: performance.now() and a cancellable setTimeout. */
export const systemClock: PacerClock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) {
        resolve();
        return;
      }
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      function done(): void {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
    }),
};

export class ReplayPacer {
  /** Wall-clock milliseconds per second of capture time; 0 when not paced. */
  private msPerCaptureSecond: number;
  private anchorWall = 0;
  private anchorTs = 0;
  private anchored = false;
  private paused = false;
  private pausedAt = 0;
  private stopped = false;
  /** Aborts the current sleep (on pause, resume and stop). */
  private interrupt: AbortController | null = null;
  /** Ends the current wait for resume. */
  private release: (() => void) | null = null;

  constructor(
    pacing: ReplayPacing = { speed: 'max' },
    private readonly clock: PacerClock = systemClock,
  ) {
    this.msPerCaptureSecond = ReplayPacer.msPerSecond(pacing.speed);
  }

  private static msPerSecond(speed: ReplayPacing['speed']): number {
    if (speed !== 'max' && !(speed > 0 && Number.isFinite(speed))) {
      throw new RangeError(`replay speed must be 'max' or a positive number, not ${speed}`);
    }
    return speed === 'max' ? 0 : 1000 / speed;
  }

  /**
   * Changes the speed from the next packet on: the schedule is anchored afresh at the next packet
   * due, so the replay neither jumps ahead nor waits for time already passed.
   */
  setSpeed(speed: ReplayPacing['speed']): void {
    this.msPerCaptureSecond = ReplayPacer.msPerSecond(speed);
    this.anchored = false;
    this.wake();
  }

  /** True when delivery follows the capture's timestamps. */
  get paced(): boolean {
    return this.msPerCaptureSecond > 0;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  pause(): void {
    if (this.paused || this.stopped) return;
    this.paused = true;
    this.pausedAt = this.clock.now();
    this.wake();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.anchorWall += this.clock.now() - this.pausedAt;
    this.wake();
  }

  /** Ends any wait at once; `deliver` yields nothing more. */
  stop(): void {
    this.stopped = true;
    this.paused = false;
    this.wake();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Resolves once delivery may go on: at once unless paused (then on resume or stop). */
  async whenRunning(): Promise<void> {
    while (this.paused && !this.stopped) {
      await new Promise<void>((resolve) => {
        this.release = resolve;
      });
    }
  }

  /**
   * Yields `batch` in runs of packets that are due, waiting between runs (and while paused).
   * Unpaced, yields the batch itself once running. Stops early after stop().
   */
  async *deliver(batch: readonly RawPacket[]): AsyncGenerator<readonly RawPacket[]> {
    if (!this.paced) {
      if (this.paused) await this.whenRunning();
      if (!this.stopped) yield batch;
      return;
    }
    const n = batch.length;
    let i = 0;
    while (i < n && !this.stopped) {
      await this.whenRunning();
      if (this.stopped) return;
      const now = this.clock.now();
      if (!this.anchored) {
        this.anchored = true;
        this.anchorWall = now;
        this.anchorTs = batch[i].ts;
      }
      let j = i;
      while (j < n && this.dueAt(batch[j].ts) <= now) j++;
      if (j > i) {
        yield i === 0 && j === n ? batch : batch.slice(i, j);
        i = j;
      } else {
        await this.clock.sleep(this.dueAt(batch[i].ts) - now, this.newInterrupt().signal);
      }
    }
  }

  /** Wall-clock time (clock ms) at which a packet stamped `ts` is due. */
  private dueAt(ts: number): number {
    return this.anchorWall + (ts - this.anchorTs) * this.msPerCaptureSecond;
  }

  private newInterrupt(): AbortController {
    const c = new AbortController();
    this.interrupt = c;
    return c;
  }

  private wake(): void {
    const c = this.interrupt;
    if (c !== null) {
      this.interrupt = null;
      c.abort();
    }
    const release = this.release;
    if (release !== null) {
      this.release = null;
      release();
    }
  }
}
