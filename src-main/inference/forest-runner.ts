/**
 * Trains a HistogramForest in a worker thread and labels test rows with it (the in-home observer's
 * learner): resolves with the test rows' class probabilities, reports progress per tree, and stops
 * at once when its signal aborts (the worker is terminated).
 */
import { Worker } from 'node:worker_threads';
import type { ForestOptions } from './histogram-forest.ts';
import { workerEntry } from './worker-entry.ts';

/** What the worker gets: training rows (row-major, `width` features) with labels, and test rows. */
export interface ForestJob {
  train: Float32Array;
  trainRows: number;
  labels: Int32Array;
  classes: number;
  width: number;
  test: Float32Array;
  testRows: number;
  options: ForestOptions;
}

export type ForestReply =
  | { type: 'progress'; done: number; total: number }
  | {
      type: 'done';
      probabilities: Float32Array;
      trainSeconds: number;
      predictSeconds: number;
      modelBytes: number;
    }
  | { type: 'failed'; message: string };

export interface ForestResult {
  /** testRows × classes. */
  probabilities: Float32Array;
  trainSeconds: number;
  predictSeconds: number;
  modelBytes: number;
}

/** The run was cancelled before it finished. */
export class ForestCancelled extends Error {
  override name = 'ForestCancelled';
}

export function trainAndPredict(
  job: ForestJob,
  onProgress?: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<ForestResult> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new ForestCancelled('cancelled'));
      return;
    }
    const worker = new Worker(workerEntry('forest-worker', import.meta.url), {
      workerData: job,
      transferList: [job.train.buffer as ArrayBuffer, job.test.buffer as ArrayBuffer],
    });
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const onAbort = (): void => {
      settle(() => {
        reject(new ForestCancelled('cancelled'));
      });
    };
    signal?.addEventListener('abort', onAbort);
    worker.on('message', (reply: ForestReply) => {
      if (reply.type === 'progress') onProgress?.(reply.done, reply.total);
      else if (reply.type === 'done')
        settle(() => {
          resolve({
            probabilities: reply.probabilities,
            trainSeconds: reply.trainSeconds,
            predictSeconds: reply.predictSeconds,
            modelBytes: reply.modelBytes,
          });
        });
      else
        settle(() => {
          reject(new Error(`the in-home observer's forest failed: ${reply.message}`));
        });
    });
    worker.on('error', (error) => {
      settle(() => {
        reject(error);
      });
    });
    worker.on('exit', (code) => {
      settle(() => {
        reject(new Error(`the forest worker exited (code ${code}) before it answered`));
      });
    });
  });
}
