/**
 * Classification metrics of the model contract, shared by `telltale eval` and the parity test:
 * per-class recall, precision and F1 (0 when undefined), their macro means, micro accuracy
 * (= micro F1 for single-label classification), the packet count and the row-normalised confusion
 * matrix; and, separately, the effect of the unknown rule.
 */

export interface ClassMetrics {
  label: string;
  /** Packets whose true class this is. */
  support: number;
  /** Packets predicted as this class. */
  predicted: number;
  recall: number;
  precision: number;
  f1: number;
}

export interface ClassificationMetrics {
  packets: number;
  perClass: ClassMetrics[];
  macroRecall: number;
  macroPrecision: number;
  macroF1: number;
  microAccuracy: number;
  /** counts[t][p]: packets of true class t predicted as p. */
  confusion: number[][];
  /** confusion rows divided by their sums (all 0 for a class without packets). */
  confusionNormalised: number[][];
}

export interface UnknownRuleMetrics {
  packets: number;
  /** Share of known-class packets called unknown. */
  knownCalledUnknown: number;
  /** Accuracy on the packets not called unknown (0 when there are none). */
  accuracyOnRest: number;
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

/**
 * Metrics over packets i with 0 ≤ truth[i] < labels.length (others are skipped): `predicted[i]` is
 * the argmax class. Classes are the model's labels; macro means run over all of them.
 */
export function classificationMetrics(
  labels: readonly string[],
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
): ClassificationMetrics {
  const c = labels.length;
  const confusion = labels.map(() => new Array<number>(c).fill(0));
  let packets = 0;
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    if (t < 0 || t >= c) continue;
    const p = predicted[i];
    if (p < 0 || p >= c) throw new RangeError(`prediction ${p} of packet ${i} is not a class index`);
    confusion[t][p]++;
    packets++;
    if (t === p) correct++;
  }
  const perClass = labels.map((label, k): ClassMetrics => {
    const support = confusion[k].reduce((a, b) => a + b, 0);
    const predictedCount = confusion.reduce((a, row) => a + row[k], 0);
    const tp = confusion[k][k];
    const recall = ratio(tp, support);
    const precision = ratio(tp, predictedCount);
    const f1 = recall + precision > 0 ? (2 * recall * precision) / (recall + precision) : 0;
    return { label, support, predicted: predictedCount, recall, precision, f1 };
  });
  const mean = (f: (m: ClassMetrics) => number): number =>
    c === 0 ? 0 : perClass.reduce((a, m) => a + f(m), 0) / c;
  return {
    packets,
    perClass,
    macroRecall: mean((m) => m.recall),
    macroPrecision: mean((m) => m.precision),
    macroF1: mean((m) => m.f1),
    microAccuracy: ratio(correct, packets),
    confusion,
    confusionNormalised: confusion.map((row) => {
      const sum = row.reduce((a, b) => a + b, 0);
      return row.map((v) => ratio(v, sum));
    }),
  };
}

/**
 * The unknown rule over known-class packets (0 ≤ truth < classCount): `labelIndex` is the
 * prediction with the rule applied (negative = unknown).
 */
export function unknownRuleMetrics(
  classCount: number,
  truth: ArrayLike<number>,
  labelIndex: ArrayLike<number>,
): UnknownRuleMetrics {
  let packets = 0;
  let unknown = 0;
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i];
    if (t < 0 || t >= classCount) continue;
    packets++;
    const p = labelIndex[i];
    if (p < 0) unknown++;
    else if (p === t) correct++;
  }
  return {
    packets,
    knownCalledUnknown: ratio(unknown, packets),
    accuracyOnRest: ratio(correct, packets - unknown),
  };
}
