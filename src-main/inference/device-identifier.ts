/**
 * Which device sent each packet, as an outside observer's model says: the runtime face of the
 * inference module. Opens a model from a models folder through its manifest (default model per
 * observer view, or a named one), verifies its file, runs it in a worker thread and stitches
 * per-packet labels from its windows as the model contract says.
 *
 *   const identifier = await DeviceIdentifier.open(modelsDir, 'vpn');
 *   const { labelIndex, confidence } = await identifier.labelRun(features, n);
 *   identifier.labels[labelIndex[i]]   // or 'unknown' when labelIndex[i] === UNKNOWN_LABEL
 *   await identifier.close();
 */
import {
  defaultModel,
  findModel,
  loadManifest,
  ManifestError,
  modelPath,
  verifyModel,
  type ModelEntry,
  type ModelManifest,
  type ModelView,
} from './model-manifest.ts';
import { join } from 'node:path';
import { CategoryModel, categoryModelFileName } from './device-category.ts';
import { WIDE_CATALOG_FILE, WideCatalog } from './wide-catalog.ts';
import { labelsFromProbabilities, poolOverFlows } from './flow-pooling.ts';
import { OnnxScorer } from './onnx-scorer.ts';
import { labelRuns, StreamingLabeler, type PacketLabels, type StitchOptions } from './window-stitching.ts';

export interface DeviceIdentifierOptions {
  /** onnxruntime intra-op threads in the worker. */
  threads?: number;
  /** Skip the SHA-256 check (it reads the whole file once). Default false. */
  skipVerify?: boolean;
  /** Windows per batch sent to the worker. */
  batchWindows?: number;
}

export class DeviceIdentifier {
  private constructor(
    readonly manifest: ModelManifest,
    readonly model: ModelEntry,
    private readonly scorer: OnnxScorer,
    private readonly batchWindows: number | undefined,
    /** The view's device-category model (inference/device-category.ts); null when the models folder has none. */
    readonly category: CategoryModel | null = null,
    /** The wider catalog (inference/wide-catalog.ts), for the NAPT view only; null elsewhere or when the models folder has none. */
    readonly wide: WideCatalog | null = null,
  ) {}

  /** Opens the default model of `view` in `modelDir` (or the model `modelId`, which must be for that view). */
  static async open(
    modelDir: string,
    view: ModelView,
    modelId?: string,
    options: DeviceIdentifierOptions = {},
  ): Promise<DeviceIdentifier> {
    const manifest = loadManifest(modelDir);
    const model = modelId === undefined ? defaultModel(manifest, view) : findModel(manifest, modelId);
    if (model.view !== view) {
      throw new ManifestError(
        `${manifest.path}: model "${model.id}" is for the ${model.view} view, not ${view}`,
      );
    }
    return DeviceIdentifier.openModel(manifest, model, options);
  }

  /** Opens a model entry of an already loaded manifest. */
  static async openModel(
    manifest: ModelManifest,
    model: ModelEntry,
    options: DeviceIdentifierOptions = {},
  ): Promise<DeviceIdentifier> {
    if (options.skipVerify !== true) verifyModel(manifest, model);
    const scorer = await OnnxScorer.open({
      modelPath: modelPath(manifest, model),
      input: model.input,
      output: model.output,
      window: model.window,
      featureCount: model.features.length,
      classCount: model.labels.length,
      threads: options.threads,
    });
    const category = CategoryModel.load(join(manifest.dir, categoryModelFileName(model.view)));
    const wide = model.view === 'napt' ? WideCatalog.load(join(manifest.dir, WIDE_CATALOG_FILE)) : null;
    return new DeviceIdentifier(manifest, model, scorer, options.batchWindows, category, wide);
  }

  /** Class names in output order (index = labelIndex). */
  get labels(): readonly string[] {
    return this.model.labels;
  }

  get featureCount(): number {
    return this.model.features.length;
  }

  private stitchOptions(keepProbabilities: boolean): StitchOptions {
    return {
      stride: this.model.stride,
      unknownThreshold: this.model.unknownThreshold,
      batchWindows: this.batchWindows,
      keepProbabilities,
    };
  }

  /** Labels the n packets of one run (rows of `featureCount` floats, in packet order). */
  labelRun(features: Float32Array, n: number, keepProbabilities = false): Promise<PacketLabels> {
    return labelRuns(this.scorer, features, n, [n], this.stitchOptions(keepProbabilities));
  }

  /**
   * Labels consecutive runs in one pass (windows never cross a run boundary); `runLengths` sum to
   * n. With `flowIds` (each packet's flow as the feature extractor keyed it, -1 none) a model whose
   * manifest asks for flow pooling pools its probabilities over each flow within a run.
   */
  async labelRuns(
    features: Float32Array,
    n: number,
    runLengths: readonly number[],
    keepProbabilities = false,
    flowIds?: ArrayLike<number>,
  ): Promise<PacketLabels> {
    const pooling = this.model.pooling;
    if (pooling === null || flowIds === undefined) {
      return labelRuns(this.scorer, features, n, runLengths, this.stitchOptions(keepProbabilities));
    }
    const stitched = await labelRuns(this.scorer, features, n, runLengths, this.stitchOptions(true));
    return this.poolFlows(stitched, flowIds, runLengths, keepProbabilities);
  }

  /**
   * The model's flow pooling applied to stitched labels that kept their probabilities (unchanged
   * when the model does not pool).
   */
  poolFlows(
    stitched: PacketLabels,
    flowIds: ArrayLike<number>,
    runLengths: readonly number[],
    keepProbabilities = false,
  ): PacketLabels {
    const pooling = this.model.pooling;
    if (pooling === null) return stitched;
    if (stitched.probabilities === undefined) throw new Error('poolFlows needs the stitched probabilities');
    const c = this.labels.length;
    const pooled = poolOverFlows(stitched.probabilities, c, flowIds, runLengths, pooling.epsilon);
    return labelsFromProbabilities(pooled, c, this.model.unknownThreshold, keepProbabilities);
  }

  /** A streaming labeler for the live path: labels come out at most one window behind. */
  createStream(keepProbabilities = false): StreamingLabeler {
    return new StreamingLabeler(this.scorer, {
      stride: this.model.stride,
      unknownThreshold: this.model.unknownThreshold,
      keepProbabilities,
    });
  }

  /** Ends the worker thread. */
  close(): Promise<void> {
    return this.scorer.close();
  }
}
