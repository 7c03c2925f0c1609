/**
 * Packets and bytes seen in the last `span` seconds of a stream, in a fixed ring (no allocation
 * after construction). When more than `capacity` packets fall inside the span, the oldest are
 * forgotten early, so counts saturate at `capacity`.
 */
export class RollingWindow {
  private readonly times: Float64Array;
  private readonly sizes: Float64Array;
  private readonly mask: number;
  private head = 0;
  private length = 0;
  /** Packets now inside the window. */
  count = 0;
  /** Sum of their sizes. */
  bytes = 0;

  /** `capacity` is rounded up to a power of two. */
  constructor(
    private readonly span: number,
    capacity: number,
  ) {
    let cap = 1;
    while (cap < capacity) cap <<= 1;
    this.times = new Float64Array(cap);
    this.sizes = new Float64Array(cap);
    this.mask = cap - 1;
  }

  /** Forgets packets at or before `now - span` (the window is (now − span, now]). */
  advance(now: number): void {
    const limit = now - this.span;
    while (this.length > 0 && this.times[this.head] <= limit) this.dropOldest();
  }

  /** Adds a packet at `now` (call {@link advance} with the same time first). */
  add(now: number, size: number): void {
    if (this.length === this.times.length) this.dropOldest();
    const slot = (this.head + this.length) & this.mask;
    this.times[slot] = now;
    this.sizes[slot] = size;
    this.length++;
    this.count = this.length;
    this.bytes += size;
  }

  clear(): void {
    this.head = 0;
    this.length = 0;
    this.count = 0;
    this.bytes = 0;
  }

  private dropOldest(): void {
    this.bytes -= this.sizes[this.head];
    this.head = (this.head + 1) & this.mask;
    this.length--;
    this.count = this.length;
  }
}
