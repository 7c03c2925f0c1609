/**
 * Batch audits for researchers: many captures (or homes) audited on worker threads, each job a
 * whole `runHomeAudit` (observers labelled as they read, timelines, the in-home observers; no
 * what-ifs), one job per worker at a time, results as they finish. Each worker holds one audit's
 * memory (bounded, audit/observer-stream.ts), so N workers hold N of them.
 */
import { Worker } from 'node:worker_threads';
import { failedBatchResult, type BatchResult } from '../audit/batch-summary.ts';
import { workerEntry } from '../inference/worker-entry.ts';
import type { TunnelProfileName } from '../views/tunnel-profiles.ts';

export interface BatchJob {
  id: number;
  /** The capture's file name or the home's folder. */
  name: string;
  files: string[];
  labels: string | null;
  modelsDir: string;
  vpnProfile?: TunnelProfileName;
}

export type BatchReply =
  | { type: 'progress'; id: number; stage: string; fraction: number | null; packets: number }
  | { type: 'result'; id: number; result: BatchResult };

export interface BatchProgress {
  /** Jobs finished, and all. */
  done: number;
  total: number;
  /** Each running job's fraction read (0..1, null when unknown) and packets. */
  running: { id: number; name: string; stage: string; fraction: number | null; packets: number }[];
}

export interface BatchOptions {
  /** Worker threads (default 2). */
  workers?: number;
  onProgress?: (p: BatchProgress) => void;
  /** Each job's record as it finishes (in finishing order). */
  onResult?: (result: BatchResult, job: BatchJob) => void;
}

/** Runs the jobs; resolves with their records in the jobs' order. */
export async function runBatch(
  jobs: readonly BatchJob[],
  options: BatchOptions = {},
): Promise<BatchResult[]> {
  const results = new Array<BatchResult | undefined>(jobs.length);
  const byId = new Map(jobs.map((j, i) => [j.id, i]));
  const running = new Map<number, BatchProgress['running'][number]>();
  let next = 0;
  let done = 0;
  const report = (): void => {
    options.onProgress?.({ done, total: jobs.length, running: [...running.values()] });
  };
  const count = Math.max(1, Math.min(options.workers ?? 2, jobs.length));
  const workers = Array.from(
    { length: count },
    () => new Worker(workerEntry('batch-worker', import.meta.url)),
  );
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            /** The job this worker is auditing (null: none). */
            let current: number | null = null;
            const give = (): void => {
              if (next >= jobs.length) {
                current = null;
                worker.postMessage(null);
                resolve();
                return;
              }
              const job = jobs[next++];
              current = job.id;
              running.set(job.id, { id: job.id, name: job.name, stage: 'starting', fraction: 0, packets: 0 });
              report();
              worker.postMessage(job);
            };
            worker.on('message', (reply: BatchReply) => {
              const job = jobs[byId.get(reply.id)!];
              if (reply.type === 'progress') {
                running.set(reply.id, {
                  id: reply.id,
                  name: job.name,
                  stage: reply.stage,
                  fraction: reply.fraction,
                  packets: reply.packets,
                });
                report();
                return;
              }
              results[byId.get(reply.id)!] = reply.result;
              running.delete(reply.id);
              done++;
              options.onResult?.(reply.result, job);
              report();
              give();
            });
            worker.on('error', reject);
            worker.on('exit', (code) => {
              if (current !== null)
                reject(new Error(`a batch worker stopped (exit code ${code}) before its audit was done`));
            });
            give();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results.map((r, i) => r ?? failedBatchResult(jobs[i].name, jobs[i].files, 'not run'));
}
