/**
 * The main side of an inference worker: a WindowScorer that sends batches of windows to a worker
 * thread owning the onnxruntime session (inference-worker.ts) and resolves with the probabilities.
 * Batches go out as transferables; answers come back in order.
 *
 * The worker is the compiled `inference-worker.js` next to this file, or, when this module runs as
 * TypeScript source (tsx in development, vitest in tests), `inference-worker.ts` loaded through
 * tsx inside the worker.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { WindowScorer } from './window-stitching.ts';
import { workerEntry } from './worker-entry.ts';
import type { InferenceWorkerData, WorkerReply, WorkerRequest } from './worker-protocol.ts';

export interface OnnxScorerOptions {
  modelPath: string;
  input: string;
  output: string;
  /** Packets per window; 1 for per-packet models (input [N, F]). */
  window: number;
  featureCount: number;
  classCount: number;
  /** onnxruntime intra-op threads; default: the machine's cores, at most 4. */
  threads?: number;
}

/** Stack of the inference worker thread (Node's default for workers is 4 MB). */
const WORKER_STACK_MB = 64;
/** A model that could not be opened or run. */
export class InferenceError extends Error {
  override name = 'InferenceError';
}

interface PendingScore {
  count: number;
  resolve: (probabilities: Float32Array) => void;
  reject: (error: Error) => void;
}

export class OnnxScorer implements WindowScorer {
  readonly window: number;
  readonly featureCount: number;
  readonly classCount: number;
  private readonly pending = new Map<number, PendingScore>();
  private nextId = 1;
  private failure: Error | null = null;
  private closed = false;
  private exited = false;

  private constructor(
    private readonly worker: Worker,
    private readonly options: OnnxScorerOptions,
  ) {
    this.window = options.window;
    this.featureCount = options.featureCount;
    this.classCount = options.classCount;
  }

  /** Starts a worker, opens the model in it and checks its tensor names. */
  static async open(options: OnnxScorerOptions): Promise<OnnxScorer> {
    const data: InferenceWorkerData = {
      modelPath: options.modelPath,
      input: options.input,
      output: options.output,
      inputShape: options.window === 1 ? [options.featureCount] : [options.window, options.featureCount],
      threads: options.threads ?? Math.min(4, availableParallelism()),
    };
    // onnxruntime recurses deeply while it loads a large tree ensemble; a worker's default 4 MB
    // stack is not always enough (seen as a segfault in the worker), so give it room.
    const worker = new Worker(workerEntry('inference-worker', import.meta.url), {
      workerData: data,
      resourceLimits: { stackSizeMb: WORKER_STACK_MB },
    });
    const scorer = new OnnxScorer(worker, options);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (reply: WorkerReply): void => {
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (reply.type === 'ready') {
          resolve();
        } else {
          void worker.terminate();
          reject(
            new InferenceError(reply.type === 'open-failed' ? reply.message : `unexpected ${reply.type}`),
          );
        }
      };
      const onError = (error: Error): void => {
        worker.off('message', onMessage);
        reject(new InferenceError(`inference worker failed to start: ${error.message}`));
      };
      const onExit = (code: number): void => {
        worker.off('message', onMessage);
        reject(new InferenceError(`inference worker exited (code ${code}) before the model was open`));
      };
      worker.once('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
    });
    scorer.listen();
    return scorer;
  }

  private listen(): void {
    this.worker.on('message', (reply: WorkerReply) => {
      if (reply.type !== 'scored' && reply.type !== 'failed') return;
      const job = this.pending.get(reply.id);
      if (job === undefined) return;
      this.pending.delete(reply.id);
      if (reply.type === 'failed') {
        job.reject(new InferenceError(`${this.options.modelPath}: ${reply.message}`));
        return;
      }
      const expected = job.count * this.window * this.classCount;
      if (reply.data.length !== expected) {
        job.reject(
          new InferenceError(
            `${this.options.modelPath}: output [${reply.dims.join(', ')}] has ${reply.data.length} values, ` +
              `expected ${expected} (${job.count} × ${this.window} × ${this.classCount} classes)`,
          ),
        );
        return;
      }
      job.resolve(reply.data);
    });
    this.worker.on('error', (error: Error) => {
      this.failAll(new InferenceError(`inference worker crashed: ${error.message}`));
    });
    this.worker.on('exit', (code: number) => {
      this.exited = true;
      if (!this.closed || this.pending.size > 0) {
        this.failAll(new InferenceError(`inference worker exited (code ${code})`));
      }
    });
  }

  private failAll(error: Error): void {
    this.failure ??= error;
    for (const job of this.pending.values()) job.reject(error);
    this.pending.clear();
  }

  score(batch: Float32Array, count: number): Promise<Float32Array> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new InferenceError('the model is closed'));
    const expected = count * this.window * this.featureCount;
    if (batch.length !== expected) {
      return Promise.reject(
        new RangeError(`score: ${batch.length} floats for ${count} windows (expected ${expected})`),
      );
    }
    const id = this.nextId++;
    const data =
      batch.byteOffset === 0 && batch.byteLength === batch.buffer.byteLength ? batch : batch.slice();
    return new Promise<Float32Array>((resolve, reject) => {
      this.pending.set(id, { count, resolve, reject });
      const request: WorkerRequest = { type: 'score', id, data, count };
      this.worker.postMessage(request, [data.buffer as ArrayBuffer]);
    });
  }

  /** Releases the session and ends the worker; pending batches still complete first. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A worker that already died (crash, out of memory) would never emit 'exit' again.
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => {
      this.worker.once('exit', () => {
        resolve();
      });
    });
    const request: WorkerRequest = { type: 'close' };
    this.worker.postMessage(request);
    const timer = setTimeout(() => {
      void this.worker.terminate();
    }, 5000);
    await exited;
    clearTimeout(timer);
  }
}
