/**
 * A feature dataset: per-packet feature vectors of one observer view with their true labels and
 * provenance, as NumPy `.npy` files that Python reads directly (`numpy.load`), plus `meta.json` —
 * what the training recipe learns from and `telltale eval` scores on (`telltale dataset` writes
 * one from the command line):
 *
 *   features.npy      float32 [N, F]  feature vectors, in the order of the feature spec
 *   labels.npy        int16   [N]     true label index into meta.labels; -1 no labelled device, -2 tunnel
 *   ts.npy            float64 [N]     packet time, seconds since the epoch
 *   file_index.npy    int32   [N]     index into meta.files; -1 for packets the view made itself
 *   packet_index.npy  int32   [N]     packet number within its file (0-based); -1 when made by the view
 *   segment.npy       int32   [N]     continuous stretch of capture (a gap over 5 min starts a new one)
 *   direction.npy     uint8   [N]     0 up, 1 down, 2 local
 *   size.npy          int32   [N]     observer frame size in bytes (unnormalised)
 *   flow.npy          int32   [N]     the observer's flow id (unique per segment); -1 none or no flows in the view
 *
 * With `--defence pad-N | pad-mtu | cover-Rpps` the view's packets are written as the home would
 * send them with that defence (views/defences.ts): padded sizes, or cover packets (label -1)
 * among them — to score the models against it (`telltale eval` does) or to train an observer
 * that knows it. meta.json names the defence and what it cost.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyzeCaptures, type AnalysisProgress, type CaptureAnalysis } from '../audit/capture-analysis.ts';
import { GroundTruth } from '../devices/ground-truth.ts';
import { FeatureExtractor } from '../features/feature-extractor.ts';
import { FEATURE_SPEC } from '../features/feature-spec.ts';
import { NpyWriter } from '../store/npy-writer.ts';
import { DefendedStream, defenceId, type Defence } from '../views/defences.ts';
import type { TunnelProfileName } from '../views/tunnel-profiles.ts';
import type { ViewName, ViewPacket } from '../views/view-packet.ts';

export interface FeatureDatasetRequest {
  captures: readonly string[];
  /** The labels file (labels.csv). */
  labels: string;
  view: ViewName;
  /** The folder the .npy files and meta.json are written to (made when missing). */
  out: string;
  vpnProfile: TunnelProfileName | undefined;
  /** Write the view as the home would send it with this defence; none when absent. */
  defence?: Defence | null;
}

/** What was written: the rows and features, the defence applied, and the reading of the captures. */
export interface FeatureDataset {
  rows: number;
  features: number;
  defence: Defence | null;
  analysis: CaptureAnalysis;
}

/** Rows buffered before they are handed to the writers. */
const BLOCK_ROWS = 4096;

/** Streams one view's packets into the .npy columns, a block of rows at a time. */
class DatasetColumnWriter {
  readonly extractor: FeatureExtractor;
  private readonly width: number;
  private readonly features: Float32Array;
  private readonly labels = new Int16Array(BLOCK_ROWS);
  private readonly ts = new Float64Array(BLOCK_ROWS);
  private readonly fileIndex = new Int32Array(BLOCK_ROWS);
  private readonly packetIndex = new Int32Array(BLOCK_ROWS);
  private readonly segment = new Int32Array(BLOCK_ROWS);
  private readonly direction = new Uint8Array(BLOCK_ROWS);
  private readonly size = new Int32Array(BLOCK_ROWS);
  private readonly flow = new Int32Array(BLOCK_ROWS);
  private readonly writers: {
    features: NpyWriter;
    labels: NpyWriter;
    ts: NpyWriter;
    fileIndex: NpyWriter;
    packetIndex: NpyWriter;
    segment: NpyWriter;
    direction: NpyWriter;
    size: NpyWriter;
    flow: NpyWriter;
  };
  private fill = 0;
  currentSegment = 0;
  rows = 0;

  constructor(view: ViewName, dir: string) {
    this.extractor = new FeatureExtractor(view);
    this.width = this.extractor.length;
    this.features = new Float32Array(BLOCK_ROWS * this.width);
    this.writers = {
      features: new NpyWriter(join(dir, 'features.npy'), 'float32', this.width),
      labels: new NpyWriter(join(dir, 'labels.npy'), 'int16'),
      ts: new NpyWriter(join(dir, 'ts.npy'), 'float64'),
      fileIndex: new NpyWriter(join(dir, 'file_index.npy'), 'int32'),
      packetIndex: new NpyWriter(join(dir, 'packet_index.npy'), 'int32'),
      segment: new NpyWriter(join(dir, 'segment.npy'), 'int32'),
      direction: new NpyWriter(join(dir, 'direction.npy'), 'uint8'),
      size: new NpyWriter(join(dir, 'size.npy'), 'int32'),
      flow: new NpyWriter(join(dir, 'flow.npy'), 'int32'),
    };
  }

  add(vp: ViewPacket): void {
    const row = this.fill;
    this.extractor.extract(vp, this.features, row * this.width);
    this.labels[row] = vp.label;
    this.ts[row] = vp.ts;
    this.fileIndex[row] = vp.fileIndex;
    this.packetIndex[row] = vp.packetIndex;
    this.segment[row] = this.currentSegment;
    this.direction[row] = vp.direction;
    this.size[row] = vp.size;
    this.flow[row] = this.extractor.lastFlowId;
    this.fill++;
    this.rows++;
    if (this.fill === BLOCK_ROWS) this.flush();
  }

  flush(): void {
    const n = this.fill;
    if (n === 0) return;
    const w = this.writers;
    w.features.append(this.features, 0, n * this.width);
    w.labels.append(this.labels, 0, n);
    w.ts.append(this.ts, 0, n);
    w.fileIndex.append(this.fileIndex, 0, n);
    w.packetIndex.append(this.packetIndex, 0, n);
    w.segment.append(this.segment, 0, n);
    w.direction.append(this.direction, 0, n);
    w.size.append(this.size, 0, n);
    w.flow.append(this.flow, 0, n);
    this.fill = 0;
  }

  close(): void {
    this.flush();
    for (const writer of Object.values(this.writers)) writer.close();
  }
}

/** Writes the feature dataset of `request.view` over the captures (see the module comment). */
export async function writeFeatureDataset(
  request: FeatureDatasetRequest,
  onProgress?: (p: AnalysisProgress) => void,
): Promise<FeatureDataset> {
  const args = request;
  const groundTruth = await GroundTruth.load(args.labels);
  mkdirSync(args.out, { recursive: true });
  const columns = new DatasetColumnWriter(args.view, args.out);
  const defended =
    args.defence === undefined || args.defence === null
      ? null
      : new DefendedStream(args.defence, args.view, args.vpnProfile);
  const add = (vp: ViewPacket): void => {
    columns.add(vp);
  };
  let analysis;
  try {
    analysis = await analyzeCaptures(args.captures, {
      groundTruth,
      views: [args.view],
      viewOptions: { profile: args.vpnProfile },
      onViewPacket: (_view, vp) => {
        if (defended === null) columns.add(vp);
        else defended.push(vp, add);
      },
      onSegmentStart: (segment) => {
        columns.currentSegment = segment;
        columns.extractor.reset();
        defended?.reset();
      },
      onProgress,
    });
  } finally {
    columns.close();
  }
  const view = analysis.views[args.view];
  const byLabel = view?.packetsByLabel ?? [];
  const meta = {
    format: 'telltale-dataset',
    formatVersion: 1,
    view: args.view,
    vpnProfile: args.view === 'vpn' ? (args.vpnProfile ?? 'openvpn-aes-256-gcm') : null,
    defence:
      defended === null
        ? null
        : {
            id: defenceId(defended.defence),
            ...defended.defence,
            bytesBefore: defended.stats.bytesBefore,
            bytesAfter: defended.stats.bytesAfter,
            packetsBefore: defended.stats.packetsBefore,
            dummyPackets: defended.stats.dummyPackets,
          },
    featureSpecVersion: FEATURE_SPEC.version,
    featureNames: columns.extractor.names,
    features: FEATURE_SPEC.views[args.view],
    labels: groundTruth.labels,
    categories: groundTruth.categories,
    labelsFile: resolve(args.labels),
    rows: columns.rows,
    packetsByLabel: Object.fromEntries(
      [...groundTruth.labels, '(none)', '(tunnel)'].map((name, i) => [name, byLabel[i] ?? 0]),
    ),
    segments: analysis.segments,
    files: analysis.files.map((f) => ({
      path: resolve(f.path),
      packets: f.packets,
      firstTs: f.firstTs,
      lastTs: f.lastTs,
      errors: f.errors.map((e) => e.message),
    })),
    columns: {
      'features.npy': 'float32 [rows, features]',
      'labels.npy': 'int16 [rows]: index into labels; -1 no labelled device; -2 made by the tunnel',
      'ts.npy': 'float64 [rows]: seconds since the Unix epoch',
      'file_index.npy': 'int32 [rows]: index into files; -1 made by the view',
      'packet_index.npy': 'int32 [rows]: 0-based packet number in its file; -1 made by the view',
      'segment.npy': 'int32 [rows]: continuous stretch of capture',
      'direction.npy': 'uint8 [rows]: 0 up (home to internet), 1 down, 2 local',
      'size.npy': 'int32 [rows]: frame size the observer sees, bytes',
      'flow.npy': 'int32 [rows]: flow id as the observer keys flows (unique within a segment); -1 none',
    },
  };
  writeFileSync(join(args.out, 'meta.json'), `${JSON.stringify(meta, null, 1)}\n`);
  return {
    rows: columns.rows,
    features: columns.extractor.length,
    defence: defended?.defence ?? null,
    analysis,
  };
}
