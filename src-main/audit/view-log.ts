/**
 * One observer view's packets kept for identification: the feature rows the view's extractor
 * writes, with each packet's flow, true label, home device, time, size, direction and capture
 * segment. The audit's observers (audit/observer-stream.ts) keep in it only the rows their model
 * has not labelled yet, and take labelled rows off the front (`consumeFront`); the in-home sample
 * and the category model's open hours are logs too (`copyRow`, `setRow`). A caller that reads a
 * whole capture's rows (the evaluation, `analyze --view`) keeps them all and labels every run (a
 * capture segment) at once, with the flow pooling its manifest asks for.
 *
 * Growth doubles the columns; a day of a busy home is a few hundred MB of features. `maxRows`
 * bounds a log that is never drained: once full, the oldest rows are dropped down to half the
 * limit (never while a reader holds the log).
 */
import { COUNTED, UncountedPackets } from '../activity/uncounted-packets.ts';
import { LABEL_TUNNEL } from '../devices/ground-truth.ts';
import { FeatureExtractor } from '../features/feature-extractor.ts';
import type { DeviceIdentifier } from '../inference/device-identifier.ts';
import { runLengthsOf, type PacketLabels } from '../inference/window-stitching.ts';
import { Direction, type ViewName, type ViewPacket } from '../views/view-packet.ts';

/**
 * The home device a view packet belongs to: the LAN-side MAC of its inner packet (source going
 * out, destination coming in, the sender inside the home); null for packets the view made.
 */
export function homeSideMac(vp: ViewPacket): string | null {
  const inner = vp.inner;
  if (inner === null) return null;
  return vp.direction === Direction.DOWN ? inner.dstMac : inner.srcMac;
}

export class ViewLog<V extends ViewName = ViewName> {
  readonly extractor: FeatureExtractor;
  readonly width: number;
  features: Float32Array;
  label = new Int16Array(1024);
  ts = new Float64Array(1024);
  segment = new Int32Array(1024);
  flow = new Int32Array(1024);
  /** Index into `macs` of the packet's home device; -1 for none (tunnel or cover packets). */
  device = new Int32Array(1024);
  size = new Int32Array(1024);
  direction = new Uint8Array(1024);
  /**
   * 1 for the tunnel's own messages (VPN keepalives and handshakes): their sizes are ones data
   * packets do not have (views/vpn-view.ts `controlFrameSizes`), so an observer tells them apart by
   * size and never takes them for a device.
   */
  tunnel = new Uint8Array(1024);
  /**
   * How the packet counts toward its device's busy volume (activity/uncounted-packets.ts):
   * COUNTED, or ≥ 0 for plumbing and refusals, as this view's observer tells them (never through
   * a VPN tunnel).
   */
  mark = new Int32Array(1024);
  rows = 0;
  /** Home device MACs in order of first packet. */
  readonly macs: string[] = [];
  private readonly macIndex = new Map<string, number>();
  private readonly uncounted = new UncountedPackets<number>();
  private currentSegment = 0;
  /** Rows dropped from the front to stay within `maxRows`. */
  dropped = 0;
  /** Readers labelling the rows now (compaction waits for them). */
  private holds = 0;

  /**
   * @param maxRows most rows kept before the oldest half is dropped (Infinity: keep all); a power
   *   of two times 1024 keeps growth and the limit aligned.
   */
  constructor(
    readonly view: V,
    readonly maxRows = Infinity,
  ) {
    this.extractor = new FeatureExtractor(view);
    this.width = this.extractor.length;
    this.features = new Float32Array(1024 * this.width);
  }

  /** A new capture segment: features restart (as the recipe's dataset does) and runs are cut here. */
  startSegment(segment: number): void {
    this.currentSegment = segment;
    this.extractor.reset();
  }

  /** Cuts a run here (the model's windows and flow pooling stop at it) without restarting the features. */
  startRun(segment: number): void {
    this.currentSegment = segment;
  }

  /**
   * Takes a packet into the features' state (flows, rates, recent sizes) without keeping a row: a
   * what-if that labels a sample of a long capture still gives the sampled packets the features
   * they have in the whole capture.
   */
  observe(vp: ViewPacket): void {
    this.extractor.extract(vp, this.scratch, 0);
  }

  private scratchRow: Float32Array | null = null;

  private get scratch(): Float32Array {
    this.scratchRow ??= new Float32Array(this.width);
    return this.scratchRow;
  }

  add(vp: ViewPacket): void {
    if (this.rows === this.label.length) {
      if (this.rows >= this.maxRows && this.holds === 0) this.dropOldestHalf();
      else this.grow();
    }
    const row = this.rows++;
    this.extractor.extract(vp, this.features, row * this.width);
    this.label[row] = vp.label;
    this.ts[row] = vp.ts;
    this.segment[row] = this.currentSegment;
    this.flow[row] = this.extractor.lastFlowId;
    this.size[row] = vp.size;
    this.direction[row] = vp.direction;
    this.tunnel[row] = vp.label === LABEL_TUNNEL ? 1 : 0;
    const mac = homeSideMac(vp);
    const d = mac === null ? -1 : this.deviceIndex(mac);
    this.device[row] = d;
    this.mark[row] =
      d < 0 || this.view === 'vpn'
        ? COUNTED
        : vp.direction === Direction.DOWN
          ? this.uncounted.received(d, vp)
          : this.uncounted.sent(d, vp);
  }

  /**
   * Appends a copy of row `row` of `from` (a log of the same view), as the same home device: the
   * in-home observer's sample and the category model's hourly chunks keep rows this way.
   */
  copyRow(from: ViewLog, row: number): void {
    if (this.rows === this.label.length) this.grow();
    this.setRow(this.rows++, from, row);
  }

  /** Overwrites row `at` with a copy of row `row` of `from` (a log of the same view). */
  setRow(at: number, from: ViewLog, row: number): void {
    const w = this.width;
    this.features.set(from.features.subarray(row * w, row * w + w), at * w);
    this.label[at] = from.label[row];
    this.ts[at] = from.ts[row];
    this.segment[at] = from.segment[row];
    this.flow[at] = from.flow[row];
    this.size[at] = from.size[row];
    this.direction[at] = from.direction[row];
    this.tunnel[at] = from.tunnel[row];
    this.mark[at] = from.mark[row];
    const d = from.device[row];
    this.device[at] = d < 0 ? -1 : this.deviceIndex(from.macs[d]);
  }

  /** Forgets every row (devices, features' state and segment stay). */
  clear(): void {
    this.rows = 0;
  }

  /**
   * Forgets the first `n` rows, which a reader has taken in (an observer labelling as packets
   * come): the rows after them move to the front; home device indices stay valid.
   */
  consumeFront(n: number): void {
    const keep = this.rows - n;
    if (n <= 0) return;
    if (keep > 0) this.shift(n);
    this.rows = Math.max(0, keep);
  }

  private deviceIndex(mac: string): number {
    let d = this.macIndex.get(mac) ?? -1;
    if (d < 0) {
      d = this.macs.length;
      this.macs.push(mac);
      this.macIndex.set(mac, d);
    }
    return d;
  }

  /** Index of a MAC in `macs`, or -1. */
  indexOfMac(mac: string): number {
    return this.macIndex.get(mac) ?? -1;
  }

  /** Keeps every row in place until the matching `release` (for a reader across awaits). */
  hold(): void {
    this.holds++;
  }

  release(): void {
    if (this.holds > 0) this.holds--;
  }

  /** Time of the oldest row kept (NaN when empty). */
  get firstTs(): number {
    return this.rows === 0 ? NaN : this.ts[0];
  }

  /** Runs: the capture's segments (windows and flow pooling never span a gap in the capture). */
  runLengths(n = this.rows, from = 0): number[] {
    const segment = this.segment;
    return runLengthsOf(n - from, (a, b) => segment[from + a] === segment[from + b]);
  }

  /**
   * Labels the rows there are now with `identifier` (flow ids restart per segment, which is also
   * a run). Rows added meanwhile are not labelled, and none is dropped until it is done.
   */
  async identify(identifier: DeviceIdentifier, keepProbabilities = false): Promise<PacketLabels> {
    const n = this.rows;
    this.hold();
    try {
      return await identifier.labelRuns(
        this.features,
        n,
        this.runLengths(n),
        keepProbabilities,
        this.flow.subarray(0, n),
      );
    } finally {
      this.release();
    }
  }

  /**
   * Keeps the newest `maxRows / 2` rows (half of them, or fewer when the log grew past its limit
   * while held); home device indices stay valid.
   */
  private dropOldestHalf(): void {
    const drop = this.rows - Math.floor(this.maxRows / 2);
    this.shift(drop);
    this.rows -= drop;
    this.dropped += drop;
  }

  /** Moves the rows from `first` on to the front. */
  private shift(first: number): void {
    const n = this.rows;
    this.features.copyWithin(0, first * this.width, n * this.width);
    for (const column of [
      this.label,
      this.ts,
      this.segment,
      this.flow,
      this.device,
      this.size,
      this.direction,
      this.tunnel,
      this.mark,
    ])
      column.copyWithin(0, first, n);
  }

  /** Gives back the room beyond the rows held (at least 1024 rows stay). */
  shrink(): void {
    this.resize(Math.max(1024, this.rows));
  }

  private grow(): void {
    this.resize(this.label.length * 2);
  }

  private resize(capacity: number): void {
    const n = this.rows;
    const features = new Float32Array(capacity * this.width);
    features.set(this.features.subarray(0, n * this.width));
    this.features = features;
    this.label = moved(this.label.subarray(0, n), new Int16Array(capacity));
    this.ts = moved(this.ts.subarray(0, n), new Float64Array(capacity));
    this.segment = moved(this.segment.subarray(0, n), new Int32Array(capacity));
    this.flow = moved(this.flow.subarray(0, n), new Int32Array(capacity));
    this.device = moved(this.device.subarray(0, n), new Int32Array(capacity));
    this.size = moved(this.size.subarray(0, n), new Int32Array(capacity));
    this.direction = moved(this.direction.subarray(0, n), new Uint8Array(capacity));
    this.tunnel = moved(this.tunnel.subarray(0, n), new Uint8Array(capacity));
    this.mark = moved(this.mark.subarray(0, n), new Int32Array(capacity));
  }
}

function moved<T extends { set(values: ArrayLike<number>): void }>(old: ArrayLike<number>, next: T): T {
  next.set(old);
  return next;
}
