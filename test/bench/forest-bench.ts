/**
 * `npx tsx test/bench/forest-bench.ts [--rows N] [--trees N]`
 *
 * Speed and size of `HistogramForest` with its default options on synthetic data shaped like
 * Telltale's per-packet features: 15 classes (devices) whose packet counts differ by a factor of
 * 1000, Float32 features that mix overlapping continuous values, small categorical codes, packet
 * sizes, heavy-tailed inter-arrival times, noise with some NaN, and constant columns; a fifth of
 * the packets carry no device signal at all (they look like class 0's), so trees grow deep. Two widths,
 * 44 and 21 features (our two feature sets). For each: train time, predict time on as many fresh
 * rows, accuracy on them (a sanity check, not a claim), model size and node count; at the end the
 * process's peak RSS. Pin to one core for the per-core figure: `taskset -c 0 npx tsx ...`.
 *
 * scikit-learn cannot be called from Node; ml-random-forest (not a dependency) is compared on a
 * small problem only when it happens to be installed, and skipped with a note otherwise.
 */
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { HistogramForest } from '../../src-main/inference/histogram-forest.ts';
import { mulberry32 as prng } from '../../src-main/views/seeded-random.ts';

const { values: args } = parseArgs({
  options: { rows: { type: 'string', default: '60000' }, trees: { type: 'string', default: '60' } },
});
const ROWS = Number(args.rows);
const TREES = Number(args.trees);
const CLASSES = 15;

/** A feature generator's class-specific parameters, drawn once per data set. */
interface Shape {
  width: number;
  kind: Int32Array;
  /** params[(c × width + f) × 3 + k] */
  params: Float64Array;
}

function makeShape(width: number, rand: () => number): Shape {
  const kind = new Int32Array(width);
  const params = new Float64Array(CLASSES * width * 3);
  for (let f = 0; f < width; f++) {
    kind[f] = f >= width - 2 ? 5 : f % 5; // the last two columns are constant
    for (let c = 0; c < CLASSES; c++) {
      for (let k = 0; k < 3; k++) params[(c * width + f) * 3 + k] = rand();
    }
  }
  return { width, kind, params };
}

function normal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Rows of the synthetic set: class sizes ∝ 10^(3c/14) (a factor of 1000 from least to most). */
function makeData(shape: Shape, rows: number, rand: () => number): { x: Float32Array; y: Int32Array } {
  const { width, kind, params } = shape;
  const share = Array.from({ length: CLASSES }, (_, c) => 10 ** ((3 * c) / (CLASSES - 1)));
  const total = share.reduce((a, b) => a + b, 0);
  const cumulative: number[] = [];
  let run = 0;
  for (const s of share) cumulative.push((run += s / total));
  const x = new Float32Array(rows * width);
  const y = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const u = rand();
    let c = 0;
    while (c < CLASSES - 1 && u > cumulative[c]) c++;
    y[r] = c;
    // a fifth of the packets (bare ACKs, DNS, keep-alives) look alike whichever device sent them
    const look = rand() < 0.2 ? 0 : c;
    for (let f = 0; f < width; f++) {
      const p = (look * width + f) * 3;
      const [p0, p1, p2] = [params[p], params[p + 1], params[p + 2]];
      let v: number;
      switch (kind[f]) {
        case 0: // overlapping continuous value
          v = 3 * p0 + normal(rand);
          break;
        case 1: // small categorical code (protocol, direction, flags): the class's own code 60 % of the time
          v = rand() < 0.6 ? Math.floor(p0 * 8) : Math.floor(rand() * 8);
          break;
        case 2: // heavy-tailed inter-arrival time
          v = Math.exp(4 * p0 - 2 + 1.5 * normal(rand));
          break;
        case 3: // packet size: one of the class's two usual sizes, or anything
          v =
            rand() < 0.7 ? 40 + Math.floor((rand() < 0.5 ? p1 : p2) * 1460) : 40 + Math.floor(rand() * 1460);
          break;
        case 4: // noise, missing 5 % of the time
          v = rand() < 0.05 ? NaN : rand();
          break;
        default:
          v = 1;
      }
      x[r * width + f] = v;
    }
  }
  return { x, y };
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function benchWidth(width: number): void {
  const rand = prng(width);
  const shape = makeShape(width, rand);
  const train = makeData(shape, ROWS, rand);
  const test = makeData(shape, ROWS, rand);

  let t0 = performance.now();
  const forest = HistogramForest.train(train.x, ROWS, width, train.y, CLASSES, { trees: TREES });
  const trainMs = performance.now() - t0;

  t0 = performance.now();
  const predicted = forest.predict(test.x, ROWS);
  const predictMs = performance.now() - t0;
  let correct = 0;
  for (let r = 0; r < ROWS; r++) if (predicted[r] === test.y[r]) correct++;

  console.log(
    `${ROWS} rows × ${width} features × ${CLASSES} classes, ${TREES} trees (defaults):\n` +
      `  train    ${(trainMs / 1000).toFixed(2)} s (${(trainMs / TREES).toFixed(0)} ms per tree)\n` +
      `  predict  ${(predictMs / 1000).toFixed(2)} s for ${ROWS} rows (${((predictMs * 1e6) / ROWS / 1e3).toFixed(1)} µs per row)\n` +
      `  accuracy ${(correct / ROWS).toFixed(3)} on ${ROWS} fresh rows (sanity only)\n` +
      `  model    ${mb(forest.sizeBytes)}, ${forest.nodeCount} nodes`,
  );
}

/** The slice of ml-random-forest's API the comparison uses. */
interface MlRandomForest {
  RandomForestClassifier: new (options: { nEstimators: number; seed: number }) => {
    train(x: number[][], y: number[]): void;
    predict(x: number[][]): number[];
  };
}

async function compareWithMlRandomForest(): Promise<void> {
  const name = 'ml-random-forest';
  try {
    createRequire(import.meta.url).resolve(name);
  } catch {
    console.log(`note: ${name} is not installed (not a dependency): comparison skipped`);
    return;
  }
  const ml = (await import(name)) as MlRandomForest;
  const rows = 2000;
  const width = 44;
  const trees = 10;
  const rand = prng(7);
  const data = makeData(makeShape(width, rand), rows, rand);
  const matrix = Array.from({ length: rows }, (_, r) =>
    Array.from(data.x.subarray(r * width, (r + 1) * width)),
  );
  let t0 = performance.now();
  const theirs = new ml.RandomForestClassifier({ nEstimators: trees, seed: 1 });
  theirs.train(matrix, Array.from(data.y));
  const theirMs = performance.now() - t0;
  t0 = performance.now();
  HistogramForest.train(data.x, rows, width, data.y, CLASSES, { trees });
  const ourMs = performance.now() - t0;
  console.log(
    `${rows} rows × ${width} × ${trees} trees: ml-random-forest ${(theirMs / 1000).toFixed(2)} s, HistogramForest ${(ourMs / 1000).toFixed(3)} s`,
  );
}

benchWidth(44);
benchWidth(21);
await compareWithMlRandomForest();
console.log(`peak RSS ${mb(process.resourceUsage().maxRSS * 1024)}`);
