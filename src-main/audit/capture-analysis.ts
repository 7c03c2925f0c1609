/**
 * Runs capture files through the engine's packet path — read, decode, device inventory, ground
 * truth, observer views — and reports per-file and per-view results. The command-line tool, the
 * dataset writer and the benchmark all go through here, so there is one pipeline to trust.
 *
 * Files are processed in the order of their first packet, so rotated captures may be given in any
 * order. A gap of more than `segmentGapSeconds` between files (or time going backwards) starts a
 * new segment: the observer views are flushed and reset, as a router's flow table and a VPN
 * tunnel would be after that long, and `onSegmentStart` lets consumers reset their own state.
 */
import { statSync } from 'node:fs';
import { openCaptureFile } from '../capture/capture-file.ts';
import { openStdinCapture } from '../capture/stream-capture.ts';
import type { CaptureError, PacketSource, RawPacket, ReplayPacing } from '../capture/packet-source.ts';
import { decodePacket } from '../decode/decode-packet.ts';
import type { DecodedPacket } from '../decode/decoded-packet.ts';
import { DeviceInventory } from '../devices/device-inventory.ts';
import { LABEL_NONE, type GroundTruth } from '../devices/ground-truth.ts';
import { createView, type ViewOptions } from '../views/create-view.ts';
import {
  emptyViewStats,
  type EmitViewPacket,
  type ObserverView,
  type ViewStats,
} from '../views/observer-view.ts';
import type { ViewName, ViewPacket } from '../views/view-packet.ts';

export interface FileSummary {
  path: string;
  /** Position of this file in the caller's list (the `fileIndex` of its packets). */
  fileIndex: number;
  packets: number;
  /** Sum of original packet lengths. */
  bytes: number;
  firstTs: number | null;
  lastTs: number | null;
  errors: CaptureError[];
  /** Packets whose decoding stopped early, by kind (the layers before the problem are still used). */
  decodeTruncated: number;
  decodeMalformed: number;
}

export interface ViewSummary {
  stats: ViewStats;
  /** Bytes (observer frame sizes) of all emitted packets. */
  bytes: number;
  /** Emitted packets per true label index (index = label; the last two slots count LABEL_NONE and LABEL_TUNNEL). */
  packetsByLabel: number[];
}

export interface AnalysisProgress {
  file: string;
  fileIndex: number;
  filesDone: number;
  filesTotal: number;
  /** Fraction of all input bytes consumed, 0..1 (null when sizes are unknown). */
  fraction: number | null;
  packets: number;
}

export interface CaptureAnalysisOptions {
  groundTruth?: GroundTruth | null;
  /** Views to run; default none (inventory only). */
  views?: readonly ViewName[];
  viewOptions?: ViewOptions;
  /** Receives every decoded packet, before the views. */
  onPacket?: (pkt: DecodedPacket) => void;
  /** Receives every packet every view emits. */
  onViewPacket?: (view: ViewName, vp: ViewPacket) => void;
  /** Called before the first packet of each segment (index 0, 1, ...). */
  onSegmentStart?: (segment: number) => void;
  onProgress?: (progress: AnalysisProgress) => void;
  /** Default 300 s. */
  segmentGapSeconds?: number;
  inventory?: DeviceInventory;
  /** Stop early after this many packets (benchmarks); default no limit. */
  maxPackets?: number;
  /** Replay pacing of every file (default as fast as possible). */
  pacing?: ReplayPacing;
  /**
   * Called after each batch of packets; when it returns a promise the pipeline waits for it before
   * reading on (an observer labelling a full batch of its rows keeps memory bounded this way).
   */
  afterBatch?: () => Promise<void> | undefined;
  /** Called with each file's source as it opens, so a caller can pause, resume or stop it. */
  onSource?: (source: PacketSource) => void;
  /** Checked before each file: true ends the analysis there (the app's stop button). */
  shouldStop?: () => boolean;
  /**
   * Opens each input instead of reading it as a capture file (a live interface); the inputs are
   * then taken in the order given, not by their first packet.
   */
  openSource?: (input: string) => PacketSource;
}

export interface CaptureAnalysis {
  files: FileSummary[];
  /** File indices in processing order. */
  order: number[];
  inventory: DeviceInventory;
  views: Partial<Record<ViewName, ViewSummary>>;
  packets: number;
  segments: number;
  /** Labels of the ground truth, when given (index = label value). */
  labels: readonly string[];
}

/** Timestamp of the first packet of a capture file, or null when it has none or cannot be read. */
export async function firstPacketTime(path: string): Promise<number | null> {
  // the first packet is in the first few kB: small reads, so that many files can be opened at once
  const source = openCaptureFile(path, { batchSize: 1, chunkSize: 64 * 1024 });
  for await (const batch of source.batches()) {
    source.stop();
    if (batch.length > 0) return batch[0].ts;
  }
  return null;
}

/** Files opened at once to find their first packets (a corpus of thousands stays a few MB). */
const FIRST_PACKET_CONCURRENCY = 8;

/** Orders files by their first packet; unreadable or empty files keep their relative order at the end. */
export async function orderByFirstPacket(paths: readonly string[]): Promise<number[]> {
  const starts = new Array<number | null>(paths.length).fill(null);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const i = next++;
      starts[i] = await firstPacketTime(paths[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(FIRST_PACKET_CONCURRENCY, paths.length) }, worker));
  return paths.map((_, i) => i).sort((a, b) => (starts[a] ?? Infinity) - (starts[b] ?? Infinity) || a - b);
}

/** The input name that stands for standard input (`telltale analyze -`): a stream, read once, alone. */
export const STDIN_INPUT = '-';

function fileSize(path: string): number | null {
  if (path === STDIN_INPUT) return null;
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

export async function analyzeCaptures(
  paths: readonly string[],
  options: CaptureAnalysisOptions = {},
): Promise<CaptureAnalysis> {
  const groundTruth = options.groundTruth ?? null;
  const inventory = options.inventory ?? new DeviceInventory();
  inventory.setGroundTruth(groundTruth);
  const labelCount = groundTruth?.labels.length ?? 0;
  const gap = options.segmentGapSeconds ?? 300;
  const maxPackets = options.maxPackets ?? Infinity;

  const viewNames = options.views ?? [];
  const views: ObserverView[] = viewNames.map((name) => createView(name, options.viewOptions));
  // Views reset their own counters with their state at a segment boundary; these sum over segments.
  const summaries: ViewSummary[] = views.map(() => ({
    stats: emptyViewStats(),
    bytes: 0,
    packetsByLabel: new Array<number>(labelCount + 2).fill(0),
  }));
  const onViewPacket = options.onViewPacket;
  const onPacket = options.onPacket;
  // One emit function per view, made once: the per-packet path allocates no closures.
  const emits: EmitViewPacket[] = viewNames.map((name, v) => {
    const summary = summaries[v];
    const byLabel = summary.packetsByLabel;
    return (vp: ViewPacket) => {
      summary.bytes += vp.size;
      byLabel[vp.label >= 0 ? vp.label : vp.label === LABEL_NONE ? labelCount : labelCount + 1]++;
      if (onViewPacket !== undefined) onViewPacket(name, vp);
    };
  });

  const streamed = paths.includes(STDIN_INPUT);
  if (streamed && paths.length > 1)
    throw new Error('standard input ("-") is read alone: it cannot be ordered among capture files');
  const openSource = options.openSource;
  const order =
    openSource === undefined && !streamed ? await orderByFirstPacket(paths) : paths.map((_, i) => i);
  const sizes = paths.map((p) => (openSource === undefined ? fileSize(p) : null));
  const knownSizes = sizes.every((s) => s !== null);
  const totalSize = sizes.reduce<number>((sum, s) => sum + (s ?? 0), 0);
  let doneSize = 0;

  const files: FileSummary[] = paths.map((path, fileIndex) => ({
    path,
    fileIndex,
    packets: 0,
    bytes: 0,
    firstTs: null,
    lastTs: null,
    errors: [],
    decodeTruncated: 0,
    decodeMalformed: 0,
  }));

  let packets = 0;
  let segments = 0;
  let lastTs: number | null = null;
  const addStats = (v: number): void => {
    const total = summaries[v].stats;
    const s = views[v].stats;
    total.packetsIn += s.packetsIn;
    total.packetsOut += s.packetsOut;
    total.packetsHidden += s.packetsHidden;
    total.packetsSynthesised += s.packetsSynthesised;
  };
  const endSegment = (): void => {
    for (let v = 0; v < views.length; v++) {
      views[v].flush(emits[v]);
      addStats(v);
      views[v].reset();
    }
  };

  for (let done = 0; done < order.length && packets < maxPackets; done++) {
    if (options.shouldStop?.() === true) break;
    const fileIndex = order[done];
    const path = paths[fileIndex];
    const summary = files[fileIndex];
    const source =
      openSource !== undefined
        ? openSource(path)
        : path === STDIN_INPUT
          ? openStdinCapture()
          : openCaptureFile(path, { pacing: options.pacing });
    options.onSource?.(source);
    let fileFirst = true;
    for await (const batch of source.batches()) {
      if (fileFirst && batch.length > 0) {
        fileFirst = false;
        const ts = batch[0].ts;
        if (lastTs === null || ts - lastTs > gap || ts < lastTs) {
          if (segments > 0) endSegment();
          options.onSegmentStart?.(segments);
          segments++;
        }
        summary.firstTs = ts;
      }
      processBatch(batch, fileIndex, summary);
      const waiting = options.afterBatch?.();
      if (waiting !== undefined) await waiting;
      packets += batch.length;
      if (batch.length > 0) lastTs = batch[batch.length - 1].ts;
      if (options.onProgress !== undefined) {
        const position = source.stats.filePosition;
        options.onProgress({
          file: path,
          fileIndex,
          filesDone: done,
          filesTotal: order.length,
          fraction: knownSizes && totalSize > 0 ? Math.min(1, (doneSize + position) / totalSize) : null,
          packets,
        });
      }
      if (packets >= maxPackets) {
        source.stop();
        break;
      }
    }
    summary.packets = source.stats.packets;
    summary.bytes = source.stats.bytes;
    summary.lastTs = summary.firstTs === null ? null : lastTs;
    summary.errors = [...source.errors];
    doneSize += sizes[fileIndex] ?? 0;
  }
  for (let v = 0; v < views.length; v++) {
    views[v].flush(emits[v]);
    addStats(v);
  }

  function processBatch(batch: readonly RawPacket[], fileIndex: number, summary: FileSummary): void {
    for (let i = 0; i < batch.length; i++) {
      const pkt = decodePacket(batch[i]);
      if (pkt.error !== null) {
        if (pkt.error.kind === 'truncated') summary.decodeTruncated++;
        else summary.decodeMalformed++;
      }
      inventory.observe(pkt);
      onPacket?.(pkt);
      if (views.length === 0) continue;
      const label = groundTruth === null ? LABEL_NONE : groundTruth.labelOf(pkt);
      for (let v = 0; v < views.length; v++) views[v].push(pkt, label, fileIndex, pkt.raw.index, emits[v]);
    }
  }

  const viewResults: Partial<Record<ViewName, ViewSummary>> = {};
  viewNames.forEach((name, v) => {
    viewResults[name] = summaries[v];
  });
  return {
    files,
    order,
    inventory,
    views: viewResults,
    packets,
    segments,
    labels: groundTruth?.labels ?? [],
  };
}
