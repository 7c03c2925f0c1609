/**
 * One capture session of the engine: what it reads (files, or a live interface), its state, the
 * pipeline state that fills while packets flow (inventory, the audit collector) and, once read,
 * its audit. Progress (packets, bytes, capture time, rate) lives in a `SessionProgress` of its
 * own, the only part that changes per packet.
 */
import { randomUUID } from 'node:crypto';
import { AuditCollector } from '../audit/audit-collector.ts';
import type { HomeAudit } from '../audit/audit-types.ts';
import type { PacketSource } from '../capture/packet-source.ts';
import { DeviceInventory } from '../devices/device-inventory.ts';
import type { GroundTruth } from '../devices/ground-truth.ts';
import type { ModelView } from '../inference/model-manifest.ts';
import type { Problem, Progress, SessionStatus, SourceInfo } from '../shared/ipc-contract.ts';
import { PacketExports } from './packet-export.ts';

/**
 * Rows a live session's observers label at a time: its interim audits lag at most this many
 * packets of each observer behind (minutes of a quiet home's traffic).
 */
export const LIVE_BATCH_ROWS = 16_000;

/** How far a session has got: packets and bytes read, the capture time they span, the rate. */
export class SessionProgress {
  packets = 0;
  bytes = 0;
  /** 0..1 of the input read, when known (files). */
  fraction: number | null = null;
  /** Capture time of the first and the latest packet. */
  captureStart: number | null = null;
  captureNow: number | null = null;
  /** A live source's drops and where its timestamps come from (Progress). */
  dropped: number | null = 0;
  timestamps: Progress['timestamps'] = null;
  readonly startedAt = Date.now();
  finishedAt: number | null = null;
  private rateMark = { at: Date.now(), packets: 0 };
  private packetsPerSecond = 0;

  /** A packet was read. */
  onPacket(ts: number, bytes: number): void {
    this.bytes += bytes;
    if (this.captureStart === null) this.captureStart = ts;
    this.captureNow = ts;
  }

  /** Measures the packet rate since the last tick (the engine's ticker calls it once an interval). */
  tick(now = Date.now()): void {
    const dt = (now - this.rateMark.at) / 1000;
    if (dt > 0) this.packetsPerSecond = (this.packets - this.rateMark.packets) / dt;
    this.rateMark = { at: now, packets: this.packets };
  }

  /** The capture time read so far (empty before the first packet). */
  covered(): { start: number; end: number }[] {
    return this.captureStart === null || this.captureNow === null
      ? []
      : [{ start: this.captureStart, end: this.captureNow }];
  }

  /** What the UI shows for a session in `status`. */
  toProgress(status: SessionStatus): Progress {
    const elapsed = ((this.finishedAt ?? Date.now()) - this.startedAt) / 1000;
    const running = status === 'replaying' || status === 'capturing' || status === 'paused';
    const f = this.fraction;
    return {
      packets: this.packets,
      bytes: this.bytes,
      fraction: status === 'done' ? 1 : f,
      packetsPerSecond: running ? this.packetsPerSecond : 0,
      etaSeconds: running && f !== null && f > 0.01 && status !== 'paused' ? (elapsed * (1 - f)) / f : null,
      captureStart: this.captureStart,
      captureNow: this.captureNow,
      elapsedSeconds: elapsed,
      dropped: this.dropped,
      timestamps: this.timestamps,
    };
  }
}

export class Session {
  readonly id = randomUUID();
  readonly inventory = new DeviceInventory();
  readonly collector: AuditCollector;
  readonly progress = new SessionProgress();
  status: SessionStatus = 'idle';
  /** The source being read (null before it opens and after it ends). */
  source: PacketSource | null = null;
  stopRequested = false;
  problems: Problem[] = [];
  audit: HomeAudit | null = null;
  /** The what-ifs' progress while they run after the audit; null when none are running. */
  whatIfProgress: { stage: string; fraction: number | null } | null = null;
  /** Settles when the session has read, audited and (files) run its what-ifs. */
  done: Promise<void> = Promise.resolve();
  /** A live session's interim audit in progress (null when none), and when the last one began. */
  interim: Promise<void> | null = null;
  interimAt = Date.now();

  readonly info: SourceInfo;
  /** The zone the session's findings and reports give times in (the setting, else the computer's). */
  timeZone = 'UTC';
  /** The labels file's devices the session was read with (null without one). */
  groundTruth: GroundTruth | null = null;
  /** Its per-packet exports, made on request and deleted with it. */
  readonly packetExports = new PacketExports();

  constructor(
    source: Omit<SourceInfo, 'sessionId'>,
    readonly paths: readonly string[],
    observers: readonly ModelView[],
  ) {
    this.info = { ...source, sessionId: this.id };
    // the observers label a batch at a time as packets come (the engine's hooks get the models), so
    // memory is bounded however long a session runs; a live one's interim audits show the full
    // batches, so its batches are small
    this.collector = new AuditCollector(
      observers,
      {},
      source.kind === 'live' ? { batchRows: LIVE_BATCH_ROWS } : {},
    );
  }

  get isLive(): boolean {
    return this.info.kind === 'live';
  }

  /** Reading its input (or paused while reading). */
  get running(): boolean {
    return this.status === 'replaying' || this.status === 'capturing' || this.status === 'paused';
  }

  /** A live capture still capturing (or paused): its own timelines are newer than its last audit. */
  get liveNow(): boolean {
    return this.isLive && (this.status === 'capturing' || this.status === 'paused');
  }

  /**
   * The session is replaced or the engine closes: stops reading and cancels any analysis still to
   * come (a person's Stop, by contrast, still audits what was read).
   */
  abandon(): void {
    this.requestStop();
    this.collector.cancel();
  }

  /** Asks the source to stop (a paused source is resumed so that it can). */
  requestStop(): void {
    this.stopRequested = true;
    this.source?.resume();
    this.source?.stop();
  }
}
