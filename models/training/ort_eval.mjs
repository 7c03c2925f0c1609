// Scores dataset rows with exported ONNX models through onnxruntime-node (the runtime the app
// uses), cutting and stitching windows exactly as the model contract says, and times it.
//
//   node models/training/ort_eval.mjs job.json
//
// job.json: { "features": ".../features.npy", "threads": 2,
//             "jobs": [ { "model": "x.onnx", "window": 64, "stride": 32,
//                         "runs": [[start, end], ...], "out": "probs.f32" } ] }
// Each job writes float32 little-endian [rows of its runs in order, C] to "out" and prints one JSON
// line { model, rows, classes, seconds, packetsPerSecond }.
import { readFileSync, writeFileSync } from 'node:fs';
import ort from 'onnxruntime-node';

/** Reads a little-endian float32 2-D .npy file (format 1.0 / 2.0 / 3.0). */
function readNpyFloat32(path) {
  const buf = readFileSync(path);
  if (buf.readUInt32BE(0) !== 0x934e554d) throw new Error(`${path}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.subarray(major === 1 ? 10 : 12, start).toString('latin1');
  if (!header.includes("'descr': '<f4'") || header.includes("'fortran_order': True")) {
    throw new Error(`${path}: expected C-ordered little-endian float32`);
  }
  const shape = /'shape': \((\d+), (\d+)\)/.exec(header);
  if (shape === null) throw new Error(`${path}: expected a 2-D array`);
  const rows = Number(shape[1]);
  const cols = Number(shape[2]);
  const aligned = new Float32Array(rows * cols);
  aligned.set(new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + start + rows * cols * 4)));
  return { data: aligned, rows, cols };
}

/** Window starts of a run of n packets: 0, S, 2S, ... while start + W < n, then max(0, n - W). */
function windowStarts(n, w, s) {
  const starts = [];
  for (let st = 0; st + w < n; st += s) starts.push(st);
  starts.push(Math.max(0, n - w));
  return starts;
}

const BATCH_WINDOWS = 512;
const BATCH_ROWS = 65536;

async function runJob(features, job, threads) {
  const session = await ort.InferenceSession.create(job.model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const f = features.cols;
  const w = job.window;
  const totalRows = job.runs.reduce((a, [s, e]) => a + (e - s), 0);
  let classes = 0;
  let out = null;
  const t0 = process.hrtime.bigint();
  let outRow = 0;
  for (const [r0, r1] of job.runs) {
    const n = r1 - r0;
    if (w === 1) {
      for (let b = 0; b < n; b += BATCH_ROWS) {
        const k = Math.min(BATCH_ROWS, n - b);
        const x = features.data.subarray((r0 + b) * f, (r0 + b + k) * f);
        const res = await session.run({ features: new ort.Tensor('float32', x, [k, f]) });
        const p = res.probabilities.data;
        classes = res.probabilities.dims[1];
        out ??= new Float32Array(totalRows * classes);
        out.set(p, (outRow + b) * classes);
      }
      outRow += n;
      continue;
    }
    const starts = windowStarts(n, w, job.stride);
    let acc = null;
    const cover = new Float64Array(n);
    for (let b = 0; b < starts.length; b += BATCH_WINDOWS) {
      const k = Math.min(BATCH_WINDOWS, starts.length - b);
      const x = new Float32Array(k * w * f);
      for (let i = 0; i < k; i++) {
        const a = r0 + starts[b + i];
        const len = Math.min(w, r1 - a);
        x.set(features.data.subarray(a * f, (a + len) * f), i * w * f);
      }
      const res = await session.run({ features: new ort.Tensor('float32', x, [k, w, f]) });
      const p = res.probabilities.data;
      classes = res.probabilities.dims[2];
      acc ??= new Float64Array(n * classes);
      for (let i = 0; i < k; i++) {
        const st = starts[b + i];
        const len = Math.min(w, n - st);
        for (let j = 0; j < len; j++) {
          const row = st + j;
          cover[row] += 1;
          const src = (i * w + j) * classes;
          const dst = row * classes;
          for (let c = 0; c < classes; c++) acc[dst + c] += p[src + c];
        }
      }
    }
    out ??= new Float32Array(totalRows * classes);
    for (let row = 0; row < n; row++) {
      for (let c = 0; c < classes; c++) out[(outRow + row) * classes + c] = acc[row * classes + c] / cover[row];
    }
    outRow += n;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  writeFileSync(job.out, Buffer.from(out.buffer, out.byteOffset, out.byteLength));
  await session.release();
  return { model: job.model, rows: totalRows, classes, seconds, packetsPerSecond: totalRows / seconds };
}

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const features = readNpyFloat32(spec.features);
for (const job of spec.jobs) {
  const result = await runJob(features, job, spec.threads ?? 1);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
