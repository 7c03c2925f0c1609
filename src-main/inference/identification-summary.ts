/**
 * What an observer's model says about each true device: for every true label, how many of its
 * packets the model gave each of its classes (or "unknown"), the top answer and its share, and how
 * often the answer is the device's own name. Used by `telltale analyze --view`.
 */
import { UNKNOWN_LABEL } from './window-stitching.ts';

export interface DeviceIdentificationSummary {
  /** True device name, or "(no label)" / "(tunnel)" for packets without a labelled device. */
  device: string;
  packets: number;
  /** The most frequent answer (a model class or "unknown"); null when there are no packets. */
  topLabel: string | null;
  topShare: number;
  unknownShare: number;
  /**
   * Share answered with the device's own class (its name, or the merged class that stands for it);
   * null when the model has no class for it.
   */
  correctShare: number | null;
  /** Packets per answer, model classes in order then "unknown". */
  answers: Record<string, number>;
}

export const UNKNOWN_NAME = 'unknown';

/**
 * Summarises per true device. `trueLabel` holds ground-truth indices into `deviceLabels` (-1 no
 * labelled device, -2 made by the tunnel); `labelIndex` the model's answers with the unknown rule;
 * `labelMembers` the model's merged classes (class → device names). Devices with no packet in the
 * view are left out.
 */
export function summariseByDevice(
  deviceLabels: readonly string[],
  modelLabels: readonly string[],
  trueLabel: ArrayLike<number>,
  labelIndex: ArrayLike<number>,
  labelMembers: Readonly<Record<string, readonly string[]>> = {},
): DeviceIdentificationSummary[] {
  const ownClass = (device: string): number => {
    const merged = Object.entries(labelMembers).find(([, members]) => members.includes(device));
    return modelLabels.indexOf(merged === undefined ? device : merged[0]);
  };
  const groups = deviceLabels.length + 2; // + (no label), (tunnel)
  const answersPerGroup = modelLabels.length + 1; // + unknown
  const counts = new Float64Array(groups * answersPerGroup);
  for (let i = 0; i < trueLabel.length; i++) {
    const t = trueLabel[i];
    const g = t >= 0 ? t : t === -1 ? deviceLabels.length : deviceLabels.length + 1;
    const p = labelIndex[i];
    counts[g * answersPerGroup + (p === UNKNOWN_LABEL ? modelLabels.length : p)]++;
  }
  const names = [...deviceLabels, '(no label)', '(tunnel)'];
  const out: DeviceIdentificationSummary[] = [];
  names.forEach((device, g) => {
    const row = counts.subarray(g * answersPerGroup, (g + 1) * answersPerGroup);
    const packets = row.reduce((a, b) => a + b, 0);
    if (packets === 0) return;
    let top = 0;
    for (let k = 1; k < answersPerGroup; k++) if (row[k] > row[top]) top = k;
    const answers: Record<string, number> = {};
    modelLabels.forEach((label, k) => {
      if (row[k] > 0) answers[label] = row[k];
    });
    if (row[modelLabels.length] > 0) answers[UNKNOWN_NAME] = row[modelLabels.length];
    const own = g < deviceLabels.length ? ownClass(device) : -1;
    out.push({
      device,
      packets,
      topLabel: top === modelLabels.length ? UNKNOWN_NAME : modelLabels[top],
      topShare: row[top] / packets,
      unknownShare: row[modelLabels.length] / packets,
      correctShare: own < 0 ? null : row[own] / packets,
      answers,
    });
  });
  return out;
}
