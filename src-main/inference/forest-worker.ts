/**
 * The forest worker thread: trains one HistogramForest on the rows it is sent and labels the test
 * rows, posting progress after each tree. Training blocks its thread for seconds, so it never runs
 * on the engine's thread; terminating the worker cancels it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ForestJob, ForestReply } from './forest-runner.ts';
import { HistogramForest } from './histogram-forest.ts';

const port = parentPort;
if (port === null) throw new Error('forest-worker.ts must run as a worker thread');
const job = workerData as ForestJob;

function post(reply: ForestReply): void {
  if (reply.type === 'done') port!.postMessage(reply, [reply.probabilities.buffer as ArrayBuffer]);
  else port!.postMessage(reply);
}

try {
  const t0 = performance.now();
  const forest = HistogramForest.train(
    job.train,
    job.trainRows,
    job.width,
    job.labels,
    job.classes,
    job.options,
    (done, total) => {
      post({ type: 'progress', done, total });
    },
  );
  const t1 = performance.now();
  const probabilities = forest.predictProba(job.test, job.testRows);
  post({
    type: 'done',
    probabilities,
    trainSeconds: (t1 - t0) / 1000,
    predictSeconds: (performance.now() - t1) / 1000,
    modelBytes: forest.sizeBytes,
  });
} catch (error) {
  post({ type: 'failed', message: (error as Error).message });
}
