/**
 * Messages between the inference worker thread and the main side. Probability and feature
 * buffers travel as transferables (moved, not copied).
 */

/** `workerData` of an inference worker. */
export interface InferenceWorkerData {
  /** Absolute path of the ONNX file. */
  modelPath: string;
  /** Input and output tensor names from the manifest. */
  input: string;
  output: string;
  /** Trailing input dimensions after the batch ([W, F] for sequence models, [F] per packet). */
  inputShape: number[];
  /** onnxruntime intra-op threads (0: its default). */
  threads: number;
}

export type WorkerRequest =
  { type: 'score'; id: number; data: Float32Array; count: number } | { type: 'close' };

export type WorkerReply =
  | { type: 'ready'; inputNames: string[]; outputNames: string[] }
  | { type: 'open-failed'; message: string }
  | { type: 'scored'; id: number; data: Float32Array; dims: number[] }
  | { type: 'failed'; id: number; message: string };
