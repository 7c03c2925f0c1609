/**
 * A batch worker thread (engine/batch-runner.ts): audits the captures of each job it is sent, one
 * after the other, and posts progress and each job's batch record. A job that fails posts its
 * error and the worker goes on with the next.
 */
import { parentPort } from 'node:worker_threads';
import { batchResult, failedBatchResult } from '../audit/batch-summary.ts';
import { runHomeAudit } from '../audit/home-audit.ts';
import { GroundTruth } from '../devices/ground-truth.ts';
import type { BatchJob, BatchReply } from './batch-runner.ts';

const port = parentPort;
if (port === null) throw new Error('batch-worker.ts must run as a worker thread');

function post(reply: BatchReply): void {
  port!.postMessage(reply);
}

const labelsCache = new Map<string, GroundTruth>();

async function audit(job: BatchJob): Promise<void> {
  const t0 = performance.now();
  try {
    let groundTruth: GroundTruth | null = null;
    if (job.labels !== null) {
      groundTruth = labelsCache.get(job.labels) ?? (await GroundTruth.load(job.labels));
      labelsCache.set(job.labels, groundTruth);
    }
    const { audit: result } = await runHomeAudit(job.files, {
      modelsDir: job.modelsDir,
      groundTruth,
      vpnProfile: job.vpnProfile,
      onProgress: (p) => {
        post({ type: 'progress', id: job.id, stage: p.stage, fraction: p.fraction, packets: p.packets });
      },
    });
    post({
      type: 'result',
      id: job.id,
      result: batchResult(job.name, job.files, result, (performance.now() - t0) / 1000),
    });
  } catch (error) {
    post({
      type: 'result',
      id: job.id,
      result: failedBatchResult(job.name, job.files, (error as Error).message),
    });
  }
}

port.on('message', (job: BatchJob | null) => {
  if (job === null) {
    port.close();
    return;
  }
  void audit(job);
});
