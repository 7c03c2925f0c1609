/**
 * Every packet an observer sees, with the device that sent it and the answer of the observer's
 * default model, written as CSV while the captures are read: the per-packet export of the app
 * (engine `session.exportPackets`). The rows are labelled a batch at a time by the same observer
 * stream the audit uses (observer-stream.ts: fixed batch cuts, so the answers are the audit's), and
 * written out as each batch is labelled, so memory stays that of one batch however long the capture.
 *
 * Columns: row (from 0, in the view's order), ts (seconds since 1970, UTC), device_mac (the home
 * device the packet belongs to; empty for the tunnel's own packets), true_label (labels.csv's name
 * for it when a labels file was given, "(tunnel)" for the tunnel's own packets), predicted (the
 * model's class, or "unknown" below its threshold) and confidence (its mean window probability).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { LABEL_TUNNEL, type GroundTruth } from '../devices/ground-truth.ts';
import type { DeviceIdentifier } from '../inference/device-identifier.ts';
import type { ModelView } from '../inference/model-manifest.ts';
import { UNKNOWN_NAME } from '../inference/identification-summary.ts';
import { UNKNOWN_LABEL } from '../inference/window-stitching.ts';
import { csvLine } from '../shared/csv.ts';
import { analyzeCaptures, type AnalysisProgress } from './capture-analysis.ts';
import { ObserverStream } from './observer-stream.ts';

export const PACKET_LABEL_COLUMNS = ['row', 'ts', 'device_mac', 'true_label', 'predicted', 'confidence'];

/** Size of the pieces the export is handed over in (the UI fetches them one by one), bytes. */
export const PACKET_EXPORT_PART_BYTES = 4 * 1024 * 1024;

export interface PacketLabelsFile {
  view: ModelView;
  modelId: string;
  rows: number;
  /** Byte offsets in the file where each piece starts (pieces end at a line end), and its size. */
  partStarts: number[];
  bytes: number;
}

export interface PacketLabelsOptions {
  view: ModelView;
  identifier: DeviceIdentifier;
  groundTruth?: GroundTruth | null;
  /** The CSV file to write (created or truncated). */
  out: string;
  partBytes?: number;
  onProgress?: (progress: AnalysisProgress) => void;
  /** Checked before each file: true stops (the file then holds the rows read so far). */
  shouldStop?: () => boolean;
}

/** Reads `paths` as one home, labels `view`'s packets, and writes them to `out` (see the module comment). */
export async function writePacketLabels(
  paths: readonly string[],
  options: PacketLabelsOptions,
): Promise<PacketLabelsFile> {
  const { view, identifier } = options;
  const labels = options.groundTruth?.labels ?? [];
  const classes = identifier.labels;
  const partBytes = options.partBytes ?? PACKET_EXPORT_PART_BYTES;
  const fd = openSync(options.out, 'w');
  const partStarts = [0];
  let bytes = 0;
  let partFrom = 0;
  let rows = 0;
  const write = (text: string): void => {
    const data = Buffer.from(text, 'utf8');
    writeSync(fd, data);
    bytes += data.length;
  };
  try {
    write(`${csvLine(PACKET_LABEL_COLUMNS)}\n`);
    const stream = new ObserverStream(
      view,
      {},
      {
        samplePerDevice: 0,
        categories: false,
        onLabelled: (log, answers, from, to) => {
          const lines: string[] = [];
          for (let i = from; i < to; i++) {
            const device = log.device[i];
            const truth = log.label[i];
            const k = answers.labelIndex[i - from];
            lines.push(
              csvLine([
                rows++,
                log.ts[i],
                device < 0 ? null : log.macs[device],
                truth === LABEL_TUNNEL ? '(tunnel)' : truth >= 0 ? (labels[truth] ?? null) : null,
                k === UNKNOWN_LABEL ? UNKNOWN_NAME : classes[k],
                Number(answers.confidence[i - from].toFixed(6)),
              ]),
            );
            // a piece ends at a line end once it holds partBytes
            if (i === to - 1 || lines.length >= 4096) {
              write(`${lines.join('\n')}\n`);
              lines.length = 0;
              if (bytes - partFrom >= partBytes) {
                partStarts.push(bytes);
                partFrom = bytes;
              }
            }
          }
        },
      },
    );
    await analyzeCaptures(paths, {
      groundTruth: options.groundTruth ?? null,
      views: [view],
      onViewPacket: (v, vp) => {
        if (v === view) stream.add(vp);
      },
      onSegmentStart: (segment) => {
        stream.startSegment(segment);
      },
      afterBatch: () => (stream.full ? stream.drain(identifier) : undefined),
      onProgress: options.onProgress,
      shouldStop: options.shouldStop,
    });
    await stream.drain(identifier, true);
  } finally {
    closeSync(fd);
  }
  // a last piece that is empty (the file ended right at a cut) is not a piece
  if (partStarts.length > 1 && partStarts.at(-1) === bytes) partStarts.pop();
  return { view, modelId: identifier.model.id, rows, partStarts, bytes };
}
