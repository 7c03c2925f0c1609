/**
 * Flow pooling, the contract's last step for observers that see flows (NAPT: the ISP sees each
 * packet's public port, remote address and port). Every packet of one flow was sent or received by
 * the same device, so the observer may pool the evidence of all of them: within a run, each packet
 * of a flow gets the normalised geometric mean of (p + ε) over that flow's packets in the run;
 * packets without a flow keep their own vector. Models name it in their manifest entry
 * (`pooling: {kind: "flow", epsilon}`); models/training/telltale_data.py `pool_flows` is the same
 * rule.
 *
 * The pooled label of a packet uses packets after it (the rest of its flow): right for a capture
 * file or a finished session, which is how an ISP with flow logs works too. The live path pools
 * what it has seen so far ({@link CausalFlowPooler}).
 */
export { labelsFromProbabilities } from './window-stitching.ts';

export interface FlowPooling {
  kind: 'flow';
  /** Added to every probability before the logarithm (keeps one confident zero from vetoing a flow). */
  epsilon: number;
}

/** Flow id of a packet with no flow (ARP, or a view without flow identity). */
export const NO_FLOW = -1;

/**
 * Pools `probabilities` ([n, classCount], row-major) over flows within each run. `flowIds[i]` is
 * packet i's flow (NO_FLOW for none); `runLengths` sum to n. Returns a new array.
 */
export function poolOverFlows(
  probabilities: Float32Array,
  classCount: number,
  flowIds: ArrayLike<number>,
  runLengths: readonly number[],
  epsilon: number,
): Float32Array {
  const c = classCount;
  const out = Float32Array.from(probabilities);
  const mean = new Float64Array(c);
  let runStart = 0;
  for (const length of runLengths) {
    const runEnd = runStart + length;
    // group index of each flow in this run, its packet count and its sums of log(p + ε)
    const groupOf = new Map<number, number>();
    const members: number[] = [];
    const sums: number[] = [];
    const group = new Int32Array(length).fill(-1);
    for (let i = runStart; i < runEnd; i++) {
      const id = flowIds[i];
      if (id === NO_FLOW || id < 0) continue;
      let g = groupOf.get(id);
      if (g === undefined) {
        g = members.length;
        groupOf.set(id, g);
        members.push(0);
        for (let k = 0; k < c; k++) sums.push(0);
      }
      group[i - runStart] = g;
      members[g]++;
      for (let k = 0; k < c; k++) sums[g * c + k] += Math.log(probabilities[i * c + k] + epsilon);
    }
    const pooled = new Float32Array(members.length * c);
    for (let g = 0; g < members.length; g++) {
      let max = -Infinity;
      for (let k = 0; k < c; k++) {
        mean[k] = sums[g * c + k] / members[g];
        if (mean[k] > max) max = mean[k];
      }
      let total = 0;
      for (let k = 0; k < c; k++) {
        mean[k] = Math.exp(mean[k] - max);
        total += mean[k];
      }
      for (let k = 0; k < c; k++) pooled[g * c + k] = mean[k] / total;
    }
    for (let i = runStart; i < runEnd; i++) {
      const g = group[i - runStart];
      if (g >= 0) out.set(pooled.subarray(g * c, (g + 1) * c), i * c);
    }
    runStart = runEnd;
  }
  return out;
}

/**
 * Live flow pooling: each packet gets the pooled vector of its flow's packets so far (itself
 * included). Flows are kept in a bounded table; the least recently seen is forgotten first.
 */
export class CausalFlowPooler {
  private readonly flows = new Map<number, { count: number; sums: Float64Array }>();
  private readonly mean: Float64Array;

  constructor(
    readonly classCount: number,
    readonly epsilon: number,
    readonly maxFlows = 65536,
  ) {
    this.mean = new Float64Array(classCount);
  }

  /** Pools rows [0, n) of `probabilities` in place, in packet order. */
  pool(probabilities: Float32Array, flowIds: ArrayLike<number>, n: number): void {
    const c = this.classCount;
    for (let i = 0; i < n; i++) {
      const id = flowIds[i];
      if (id < 0) continue;
      let flow = this.flows.get(id);
      if (flow === undefined) {
        if (this.flows.size >= this.maxFlows) {
          const oldest = this.flows.keys().next();
          if (oldest.done !== true) this.flows.delete(oldest.value);
        }
        flow = { count: 0, sums: new Float64Array(c) };
      } else {
        this.flows.delete(id); // re-inserted below: the Map's order is recency
      }
      this.flows.set(id, flow);
      flow.count++;
      let max = -Infinity;
      for (let k = 0; k < c; k++) {
        flow.sums[k] += Math.log(probabilities[i * c + k] + this.epsilon);
        this.mean[k] = flow.sums[k] / flow.count;
        if (this.mean[k] > max) max = this.mean[k];
      }
      let total = 0;
      for (let k = 0; k < c; k++) {
        this.mean[k] = Math.exp(this.mean[k] - max);
        total += this.mean[k];
      }
      for (let k = 0; k < c; k++) probabilities[i * c + k] = this.mean[k] / total;
    }
  }

  /** Forgets every flow (a new capture segment: flow ids restart). */
  reset(): void {
    this.flows.clear();
  }
}
