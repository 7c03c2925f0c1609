/**
 * Device summaries: one feature vector per device per hour of an observer's view (a "chunk"), for
 * the device-category model (inference/device-category.ts). A category — camera, plug, hub — is a
 * property of how a device behaves over minutes, not of one packet, and it must carry across homes:
 * so a summary is made of the device's own packets only, never of the home's interleaved stream
 * (the per-packet features' `iat_prev`, `pkts_1s` and `bytes_1s` describe the whole home, and a
 * home with more devices would shift them), and never of how long a connection has lasted so far
 * (`flow_packets`, `flow_bytes`, `flow_age` grow with the capture).
 *
 * The vector (names in `summaryNames`):
 * - the mean of each packet-intrinsic column of the view's feature spec: size buckets, direction,
 *   and in the NAPT view the remote-port class, protocol, IP version and TCP flags (what one
 *   packet shows by itself; the VPN view shows only sizes and directions);
 * - the device's rate: log(1 + packets per minute) / log(1 + 10000), over the chunk's span (at
 *   least a minute);
 * - bytes up / all bytes; mean frame size up and down (/ 1514; NaN without packets that way);
 * - the device's own gaps between packets: 10th, 50th and 90th percentile, as
 *   log(1 + ms) / log(1 + 600000) (NaN below 2 packets);
 * - how repetitive its sizes are: distinct (direction, size) pairs per packet, and the share of the
 *   most common pair.
 */
import { Direction } from '../views/view-packet.ts';

/** Length of a chunk: a device's summary covers at most this much of its traffic. */
export const SUMMARY_CHUNK_SECONDS = 3600;
/** Fewest packets a chunk needs to be summarised (fewer say nothing about behaviour). */
export const SUMMARY_MIN_CHUNK_PACKETS = 10;

/** Per-packet feature columns that describe the packet by itself (kept, as chunk means). */
function intrinsic(name: string): boolean {
  return (
    name.startsWith('size_bucket_') ||
    name === 'dir_up' ||
    name === 'dir_down' ||
    name.startsWith('remote_port_') ||
    name.startsWith('proto_') ||
    name === 'ipv6' ||
    name.startsWith('tcp_') ||
    name === 'flow_first'
  );
}

const OWN_NAMES = [
  'rate_per_minute_log',
  'bytes_up_share',
  'mean_size_up',
  'mean_size_down',
  'gap_p10_log',
  'gap_p50_log',
  'gap_p90_log',
  'distinct_sizes_per_packet',
  'top_size_share',
] as const;

/** Indices of the view's per-packet columns a summary averages. */
export function summaryColumns(featureNames: readonly string[]): number[] {
  return featureNames.flatMap((n, i) => (intrinsic(n) ? [i] : []));
}

/** Names of a summary's values, in order, for a view whose per-packet columns are `featureNames`. */
export function summaryNames(featureNames: readonly string[]): string[] {
  return [...summaryColumns(featureNames).map((i) => `mean_${featureNames[i]}`), ...OWN_NAMES];
}

/** What a summary reads of one view log (audit/view-log.ts), row by row. */
export interface SummarySource {
  readonly width: number;
  readonly features: Float32Array;
  readonly ts: Float64Array;
  readonly size: Int32Array;
  readonly direction: Uint8Array;
}

const GAP_SCALE = Math.log1p(600_000);
const RATE_SCALE = Math.log1p(10_000);

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Writes the summary of `rows` (one device's rows of `log`, in time order) into `out` at
 * `offset`; `columns` from `summaryColumns`. Returns the number of values written.
 */
export function summarize(
  log: SummarySource,
  rows: readonly number[],
  columns: readonly number[],
  out: Float32Array,
  offset: number,
): number {
  const n = rows.length;
  let o = offset;
  for (const c of columns) {
    let sum = 0;
    for (const r of rows) sum += log.features[r * log.width + c];
    out[o++] = n === 0 ? Number.NaN : sum / n;
  }
  let bytesUp = 0;
  let bytesDown = 0;
  let up = 0;
  let down = 0;
  const sizes = new Map<number, number>();
  for (const r of rows) {
    const size = log.size[r];
    if (log.direction[r] === Direction.UP) {
      bytesUp += size;
      up++;
    } else {
      bytesDown += size;
      down++;
    }
    const key = log.direction[r] * 65_536 + Math.min(size, 65_535);
    sizes.set(key, (sizes.get(key) ?? 0) + 1);
  }
  const span = n === 0 ? 0 : log.ts[rows[n - 1]] - log.ts[rows[0]];
  out[o++] = Math.log1p(n / Math.max(1, span / 60)) / RATE_SCALE;
  out[o++] = bytesUp + bytesDown === 0 ? Number.NaN : bytesUp / (bytesUp + bytesDown);
  out[o++] = up === 0 ? Number.NaN : bytesUp / up / 1514;
  out[o++] = down === 0 ? Number.NaN : bytesDown / down / 1514;
  const gaps = new Float64Array(Math.max(0, n - 1));
  for (let i = 1; i < n; i++)
    gaps[i - 1] = Math.log1p(1000 * (log.ts[rows[i]] - log.ts[rows[i - 1]])) / GAP_SCALE;
  gaps.sort();
  out[o++] = quantile(gaps, 0.1);
  out[o++] = quantile(gaps, 0.5);
  out[o++] = quantile(gaps, 0.9);
  let top = 0;
  for (const count of sizes.values()) top = Math.max(top, count);
  out[o++] = n === 0 ? Number.NaN : sizes.size / n;
  out[o++] = n === 0 ? Number.NaN : top / n;
  return o - offset;
}

/**
 * Cuts one device's rows (time order) into chunks: a new chunk at every capture segment and every
 * SUMMARY_CHUNK_SECONDS from the chunk's first packet. Chunks below SUMMARY_MIN_CHUNK_PACKETS are
 * left out.
 */
export function deviceChunks(
  rows: readonly number[],
  ts: Float64Array,
  segment: Int32Array,
  chunkSeconds = SUMMARY_CHUNK_SECONDS,
  minPackets = SUMMARY_MIN_CHUNK_PACKETS,
): number[][] {
  const out: number[][] = [];
  let current: number[] = [];
  let start = 0;
  for (const r of rows) {
    if (current.length > 0 && (segment[r] !== segment[current[0]] || ts[r] - start >= chunkSeconds)) {
      if (current.length >= minPackets) out.push(current);
      current = [];
    }
    if (current.length === 0) start = ts[r];
    current.push(r);
  }
  if (current.length >= minPackets) out.push(current);
  return out;
}
