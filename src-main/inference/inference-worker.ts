/**
 * The inference worker thread: owns one onnxruntime InferenceSession and scores the batches the
 * main side sends, one at a time, in arrival order. `session.run()` blocks the thread it runs on,
 * so it runs here and never on the engine's thread. This file and onnx-scorer.ts are the only
 * places that touch onnxruntime.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import type { InferenceWorkerData, WorkerReply, WorkerRequest } from './worker-protocol.ts';

const port = parentPort;
if (port === null) throw new Error('inference-worker.ts must run as a worker thread');
const config = workerData as InferenceWorkerData;

function post(reply: WorkerReply): void {
  if (reply.type === 'scored') port!.postMessage(reply, [reply.data.buffer as ArrayBuffer]);
  else port!.postMessage(reply);
}

/** A standalone copy when the tensor's data shares its buffer (only whole buffers can be moved). */
function ownedCopy(data: Float32Array): Float32Array {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
}

async function openSession(): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    interOpNumThreads: 1,
  };
  if (config.threads > 0) options.intraOpNumThreads = config.threads;
  return ort.InferenceSession.create(config.modelPath, options);
}

async function score(
  session: ort.InferenceSession,
  request: Extract<WorkerRequest, { type: 'score' }>,
): Promise<void> {
  const dims = [request.count, ...config.inputShape];
  const tensor = new ort.Tensor('float32', request.data, dims);
  const outputs = await session.run({ [config.input]: tensor }, [config.output]);
  const out = outputs[config.output];
  if (out.type !== 'float32') throw new Error(`output "${config.output}" is ${out.type}, expected float32`);
  post({ type: 'scored', id: request.id, data: ownedCopy(out.data as Float32Array), dims: [...out.dims] });
}

async function serve(): Promise<void> {
  let session: ort.InferenceSession;
  try {
    session = await openSession();
    // Validate the contract's tensor names before any batch arrives.
    if (!session.inputNames.includes(config.input)) {
      throw new Error(`model has no input "${config.input}" (inputs: ${session.inputNames.join(', ')})`);
    }
    if (!session.outputNames.includes(config.output)) {
      throw new Error(`model has no output "${config.output}" (outputs: ${session.outputNames.join(', ')})`);
    }
  } catch (error) {
    post({ type: 'open-failed', message: `${config.modelPath}: ${(error as Error).message}` });
    return;
  }
  post({ type: 'ready', inputNames: [...session.inputNames], outputNames: [...session.outputNames] });

  // Requests are handled strictly one after another, in arrival order.
  let queue = Promise.resolve();
  port!.on('message', (request: WorkerRequest) => {
    if (request.type === 'close') {
      queue = queue.then(async () => {
        await session.release();
        port!.close();
      });
      return;
    }
    queue = queue.then(() =>
      score(session, request).catch((error: unknown) => {
        post({ type: 'failed', id: request.id, message: (error as Error).message });
      }),
    );
  });
}

void serve();
