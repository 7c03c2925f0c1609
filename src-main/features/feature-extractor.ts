/**
 * Per-packet feature vectors for one observer view, laid out as the feature spec says.
 *
 * An extractor is stateful: it must see every packet of its view's stream, in order (timing,
 * rolling counts and flow context depend on the packets before). `extract` writes one vector into
 * a caller-provided Float32Array at an offset and allocates nothing per packet except a flow
 * record when a new flow starts.
 *
 * Each spec feature names a raw quantity in the catalogue below (what is measured); the spec's
 * normalisation says how it is scaled. Under the VPN view only what the carrier sees is allowed
 * (outer size, direction, timing): asking for a feature that reads the inner packet is an error.
 */
import { IpProto, TcpFlag } from '../decode/decoded-packet.ts';
import { FlowMap, packAddressPort, packEndpoint, protoIndex, type FlowMapEntry } from '../views/flow-map.ts';
import { Direction, type ViewName, type ViewPacket } from '../views/view-packet.ts';
import { FEATURE_SPEC, FeatureSpecError, type FeatureSpec } from './feature-spec.ts';
import { portClass, protocolFlags, ProtocolFlag, sizeBucket } from './packet-traits.ts';
import { RollingWindow } from './rolling-window.ts';

/** Raw quantities, one slot each in the scratch vector. */
const Raw = {
  SIZE: 0,
  SIZE_BUCKET: 1, // 7 slots
  DIR: 8, // UP, DOWN, LOCAL (Direction values)
  IAT: 11,
  IAT_SAME_DIR: 12,
  PKTS_1S: 13,
  PKTS_1S_SAME_DIR: 14,
  BYTES_1S: 15,
  BYTES_1S_SAME_DIR: 16,
  REMOTE_PORT: 17, // 10 slots (PortClass)
  PROTO_IP: 27,
  PROTO_TCP: 28,
  PROTO_UDP: 29,
  PROTO_TLS: 30,
  PROTO_HTTP: 31,
  PROTO_DNS: 32,
  PROTO_OTHER: 33,
  IPV6: 34,
  TCP_SYN: 35,
  TCP_ACK: 36,
  TCP_FIN: 37,
  TCP_RST: 38,
  TCP_PSH: 39,
  FLOW_PACKETS: 40,
  FLOW_BYTES: 41,
  FLOW_AGE: 42,
  FLOW_FIRST: 43,
  SAME_SIZE_DIR_SINCE: 44,
  SAME_SIZE_SINCE: 45,
  SAME_SIZE_DIR_DECAY_60S: 46,
  SAME_SIZE_DIR_DECAY_600S: 47,
} as const;
const RAW_COUNT = 48;

/**
 * Sizes at or above this share one recurrence slot (frames this large are bulk transfer, whose
 * exact size says little); keeps the per-size tables small and fixed.
 */
const RECURRENCE_SIZES = 4096;
/** What "never seen before" reads as in the recurrence features (seconds; the spec's clip). */
const RECURRENCE_HORIZON_S = 3600;
/** Time constants of the decayed same-size counts (seconds). */
const DECAY_SHORT_S = 60;
const DECAY_LONG_S = 600;

/**
 * Work a feature needs beyond size, direction and timing: the inner packet (PACKET, FLOW — never
 * under VPN) or the size-recurrence tables (RECURRENCE, what every observer sees); work no feature
 * of the spec needs is skipped.
 */
const Needs = { NONE: 0, PACKET: 1, FLOW: 2, RECURRENCE: 4 } as const;

/** Feature name → raw slot and which inner-packet work it needs. */
const CATALOGUE = new Map<string, { raw: number; needs: number }>([
  ['frame_length', { raw: Raw.SIZE, needs: Needs.NONE }],
  ['frame_length_log', { raw: Raw.SIZE, needs: Needs.NONE }],
  ...['le64', '65_127', '128_255', '256_511', '512_1023', '1024_1399', 'ge1400'].map(
    (b, i) => [`size_bucket_${b}`, { raw: Raw.SIZE_BUCKET + i, needs: Needs.NONE }] as const,
  ),
  ['dir_up', { raw: Raw.DIR + Direction.UP, needs: Needs.NONE }],
  ['dir_down', { raw: Raw.DIR + Direction.DOWN, needs: Needs.NONE }],
  ['dir_local', { raw: Raw.DIR + Direction.LOCAL, needs: Needs.NONE }],
  ['iat_prev', { raw: Raw.IAT, needs: Needs.NONE }],
  ['iat_prev_same_dir', { raw: Raw.IAT_SAME_DIR, needs: Needs.NONE }],
  ['pkts_1s', { raw: Raw.PKTS_1S, needs: Needs.NONE }],
  ['pkts_1s_same_dir', { raw: Raw.PKTS_1S_SAME_DIR, needs: Needs.NONE }],
  ['bytes_1s', { raw: Raw.BYTES_1S, needs: Needs.NONE }],
  ['bytes_1s_same_dir', { raw: Raw.BYTES_1S_SAME_DIR, needs: Needs.NONE }],
  ...['443', '80', '53', '123', 'mqtt', '5228', 'other_wellknown', 'registered', 'ephemeral', 'none'].map(
    (p, i) => [`remote_port_${p}`, { raw: Raw.REMOTE_PORT + i, needs: Needs.PACKET }] as const,
  ),
  ['proto_ip', { raw: Raw.PROTO_IP, needs: Needs.PACKET }],
  ['proto_tcp', { raw: Raw.PROTO_TCP, needs: Needs.PACKET }],
  ['proto_udp', { raw: Raw.PROTO_UDP, needs: Needs.PACKET }],
  ['proto_tls', { raw: Raw.PROTO_TLS, needs: Needs.PACKET }],
  ['proto_http', { raw: Raw.PROTO_HTTP, needs: Needs.PACKET }],
  ['proto_dns', { raw: Raw.PROTO_DNS, needs: Needs.PACKET }],
  ['proto_other', { raw: Raw.PROTO_OTHER, needs: Needs.PACKET }],
  ['ipv6', { raw: Raw.IPV6, needs: Needs.PACKET }],
  ['tcp_syn', { raw: Raw.TCP_SYN, needs: Needs.PACKET }],
  ['tcp_ack', { raw: Raw.TCP_ACK, needs: Needs.PACKET }],
  ['tcp_fin', { raw: Raw.TCP_FIN, needs: Needs.PACKET }],
  ['tcp_rst', { raw: Raw.TCP_RST, needs: Needs.PACKET }],
  ['tcp_psh', { raw: Raw.TCP_PSH, needs: Needs.PACKET }],
  ['flow_packets', { raw: Raw.FLOW_PACKETS, needs: Needs.FLOW }],
  ['flow_bytes', { raw: Raw.FLOW_BYTES, needs: Needs.FLOW }],
  ['flow_age', { raw: Raw.FLOW_AGE, needs: Needs.FLOW }],
  ['flow_first', { raw: Raw.FLOW_FIRST, needs: Needs.FLOW }],
  ['same_size_dir_since', { raw: Raw.SAME_SIZE_DIR_SINCE, needs: Needs.RECURRENCE }],
  ['same_size_since', { raw: Raw.SAME_SIZE_SINCE, needs: Needs.RECURRENCE }],
  ['same_size_dir_decay_60s', { raw: Raw.SAME_SIZE_DIR_DECAY_60S, needs: Needs.RECURRENCE }],
  ['same_size_dir_decay_600s', { raw: Raw.SAME_SIZE_DIR_DECAY_600S, needs: Needs.RECURRENCE }],
]);

/** Names every extractor understands (a spec may use any subset, in any order). */
export const KNOWN_FEATURES: readonly string[] = [...CATALOGUE.keys()];

const Norm = { IDENTITY: 0, CLIP: 1, LOG1P: 2 } as const;

export interface FeatureExtractorOptions {
  /** A flow idle for longer than this starts afresh (seconds, default 120). */
  flowIdleS?: number;
  /** Flow table bound (default 65536; least recently used flows are forgotten). */
  maxFlows?: number;
  /** Span of the rolling counts (seconds, default 1). */
  windowS?: number;
  /** Rolling-count ring size per direction (default 4096; counts saturate there). */
  windowCapacity?: number;
}

interface FlowRecord extends FlowMapEntry {
  /** Stream-unique id of the flow's current life (a flow idle past flowIdleS gets a new one). */
  id: number;
  first: number;
  last: number;
  packets: number;
  bytes: number;
}

export class FeatureExtractor {
  readonly view: ViewName;
  readonly specVersion: number;
  /** Feature names in vector order. */
  readonly names: readonly string[];
  /** Vector length. */
  readonly length: number;

  private readonly rawSlot: Int32Array;
  private readonly normKind: Uint8Array;
  private readonly normMax: Float64Array;
  private readonly normScale: Float64Array;
  private readonly normInvDenominator: Float64Array;
  private readonly needsPacket: boolean;
  private readonly needsFlow: boolean;
  private readonly needsRecurrence: boolean;
  private readonly raw = new Float64Array(RAW_COUNT);

  private readonly flowIdleS: number;
  private readonly maxFlows: number;
  private readonly windows: RollingWindow[];
  private prevTs = NaN;
  private readonly prevTsByDir = new Float64Array(3).fill(NaN);
  /**
   * Size recurrence: when each (size, direction) and each size was last seen, and exponentially
   * decayed counts of each (size, direction) — a device's heartbeat repeats the same sizes at its
   * own period, which survives every observer view, tunnels included. Indexed size * 3 + direction
   * (sizes capped at RECURRENCE_SIZES - 1); NaN = not seen since the last reset.
   */
  private readonly lastBySizeDir = new Float64Array(RECURRENCE_SIZES * 3).fill(NaN);
  private readonly lastBySize = new Float64Array(RECURRENCE_SIZES).fill(NaN);
  private readonly decayShort = new Float64Array(RECURRENCE_SIZES * 3);
  private readonly decayLong = new Float64Array(RECURRENCE_SIZES * 3);
  /** IPv4 flows under numeric keys; IPv6 flows (rarer) under text keys. */
  private readonly flows4: FlowMap<FlowRecord>;
  private readonly flows6 = new Map<string, FlowRecord>();
  /** Persistent, so that evicting does not rescan deleted entries at the Map's front. */
  private eviction6: MapIterator<string> | null = null;
  private flowIsNew = false;
  private nextFlowId = 0;
  /**
   * Id of the flow the last extracted packet belongs to, as the observer can key it (unique within
   * the stream since the last reset); -1 when the view has no flow features or the packet no flow.
   * Packets that share an id were sent or received by the same device, which lets inference pool
   * its evidence over a flow.
   */
  lastFlowId = -1;

  constructor(view: ViewName, spec: FeatureSpec = FEATURE_SPEC, options: FeatureExtractorOptions = {}) {
    this.view = view;
    this.specVersion = spec.version;
    const defs = spec.views[view];
    this.names = defs.map((d) => d.name);
    this.length = defs.length;
    this.rawSlot = new Int32Array(this.length);
    this.normKind = new Uint8Array(this.length);
    this.normMax = new Float64Array(this.length);
    this.normScale = new Float64Array(this.length);
    this.normInvDenominator = new Float64Array(this.length);
    let needs = 0;
    defs.forEach((d, i) => {
      const entry = CATALOGUE.get(d.name);
      if (entry === undefined) throw new FeatureSpecError(`views.${view}: unknown feature ${d.name}`);
      if (view === 'vpn' && (entry.needs & (Needs.PACKET | Needs.FLOW)) !== 0) {
        throw new FeatureSpecError(
          `views.vpn: ${d.name} reads the inner packet, which a VPN carrier cannot see`,
        );
      }
      needs |= entry.needs;
      this.rawSlot[i] = entry.raw;
      const n = d.normalisation;
      if (n.kind === 'clip') {
        this.normKind[i] = Norm.CLIP;
        this.normMax[i] = n.max;
      } else if (n.kind === 'log1p') {
        this.normKind[i] = Norm.LOG1P;
        this.normMax[i] = n.max;
        this.normScale[i] = n.inputScale;
        this.normInvDenominator[i] = 1 / Math.log1p(n.inputScale * n.max);
      } else {
        this.normKind[i] = Norm.IDENTITY;
      }
    });
    this.needsPacket = (needs & Needs.PACKET) !== 0;
    this.needsFlow = (needs & Needs.FLOW) !== 0;
    this.needsRecurrence = (needs & Needs.RECURRENCE) !== 0;
    this.flowIdleS = options.flowIdleS ?? 120;
    this.maxFlows = options.maxFlows ?? 65536;
    this.flows4 = new FlowMap<FlowRecord>(this.maxFlows);
    const span = options.windowS ?? 1;
    const capacity = options.windowCapacity ?? 4096;
    this.windows = [
      new RollingWindow(span, capacity),
      new RollingWindow(span, capacity),
      new RollingWindow(span, capacity),
    ];
  }

  /** Writes the feature vector of `vp` (the next packet of the view's stream) to `out[offset, offset + length)`. */
  extract(vp: ViewPacket, out: Float32Array, offset: number): void {
    const r = this.raw;
    r.fill(0);
    this.lastFlowId = -1;
    this.measureFrame(vp, r);
    if (this.needsPacket) this.measurePacket(vp, r);
    if (this.needsFlow) this.measureFlow(vp, r);
    const n = this.length;
    for (let i = 0; i < n; i++) {
      let v = r[this.rawSlot[i]];
      const kind = this.normKind[i];
      if (kind !== Norm.IDENTITY) {
        const max = this.normMax[i];
        v = v < 0 ? 0 : v > max ? max : v;
        v = kind === Norm.CLIP ? v / max : Math.log1p(v * this.normScale[i]) * this.normInvDenominator[i];
      }
      out[offset + i] = v;
    }
  }

  /** Forgets the stream so far (timing, rolling counts, flows). */
  reset(): void {
    this.prevTs = NaN;
    this.prevTsByDir.fill(NaN);
    this.lastBySizeDir.fill(NaN);
    this.lastBySize.fill(NaN);
    this.decayShort.fill(0);
    this.decayLong.fill(0);
    for (const w of this.windows) w.clear();
    this.flows4.clear();
    this.flows6.clear();
    this.eviction6 = null;
    this.nextFlowId = 0;
    this.lastFlowId = -1;
  }

  /** Size, direction, timing and rolling counts: what every observer sees. */
  private measureFrame(vp: ViewPacket, r: Float64Array): void {
    const ts = vp.ts;
    const size = vp.size;
    const dir = vp.direction;
    r[Raw.SIZE] = size;
    r[Raw.SIZE_BUCKET + sizeBucket(size)] = 1;
    r[Raw.DIR + dir] = 1;
    // Time since the previous packet; 0 for the first, and never negative across a clock step back.
    const prev = this.prevTs;
    r[Raw.IAT] = prev === prev && ts > prev ? ts - prev : 0;
    this.prevTs = ts;
    const prevSame = this.prevTsByDir[dir];
    r[Raw.IAT_SAME_DIR] = prevSame === prevSame && ts > prevSame ? ts - prevSame : 0;
    this.prevTsByDir[dir] = ts;
    const w = this.windows;
    w[0].advance(ts);
    w[1].advance(ts);
    w[2].advance(ts);
    w[dir].add(ts, size);
    r[Raw.PKTS_1S] = w[0].count + w[1].count + w[2].count;
    r[Raw.BYTES_1S] = w[0].bytes + w[1].bytes + w[2].bytes;
    r[Raw.PKTS_1S_SAME_DIR] = w[dir].count;
    r[Raw.BYTES_1S_SAME_DIR] = w[dir].bytes;
    if (this.needsRecurrence) this.measureRecurrence(ts, size, dir, r);
  }

  /** Time since this size (and direction) was last seen, and its decayed recent counts. */
  private measureRecurrence(ts: number, size: number, dir: number, r: Float64Array): void {
    const s = size < RECURRENCE_SIZES ? size : RECURRENCE_SIZES - 1;
    const k = s * 3 + dir;
    const lastSd = this.lastBySizeDir[k];
    const dt = lastSd === lastSd && ts > lastSd ? ts - lastSd : 0;
    r[Raw.SAME_SIZE_DIR_SINCE] = lastSd === lastSd ? dt : RECURRENCE_HORIZON_S;
    const lastS = this.lastBySize[s];
    r[Raw.SAME_SIZE_SINCE] = lastS === lastS ? (ts > lastS ? ts - lastS : 0) : RECURRENCE_HORIZON_S;
    // c(t) = c(t_prev) · exp(−Δt/τ) + 1; a clock step back counts as Δt = 0.
    const short = this.decayShort[k] * Math.exp(-dt / DECAY_SHORT_S) + 1;
    const long = this.decayLong[k] * Math.exp(-dt / DECAY_LONG_S) + 1;
    this.decayShort[k] = short;
    this.decayLong[k] = long;
    r[Raw.SAME_SIZE_DIR_DECAY_60S] = short;
    r[Raw.SAME_SIZE_DIR_DECAY_600S] = long;
    if (!(ts < lastSd)) this.lastBySizeDir[k] = ts;
    if (!(ts < lastS)) this.lastBySize[s] = ts;
  }

  /** Ports, protocol flags and TCP flags, as a plaintext observer sees them. */
  private measurePacket(vp: ViewPacket, r: Float64Array): void {
    r[Raw.REMOTE_PORT + portClass(vp.remotePort)] = 1;
    const inner = vp.inner;
    const proto = vp.ipProto;
    const isIp = inner !== null ? inner.ipVersion !== 0 : proto >= 0;
    const tcp = proto === IpProto.TCP;
    const udp = proto === IpProto.UDP;
    r[Raw.PROTO_IP] = isIp ? 1 : 0;
    r[Raw.PROTO_TCP] = tcp ? 1 : 0;
    r[Raw.PROTO_UDP] = udp ? 1 : 0;
    r[Raw.PROTO_OTHER] = tcp || udp ? 0 : 1;
    r[Raw.IPV6] = inner !== null && inner.ipVersion === 6 ? 1 : 0;
    if (inner !== null && (tcp || udp)) {
      const flags = protocolFlags(inner, vp.localPort, vp.remotePort);
      r[Raw.PROTO_TLS] = (flags & ProtocolFlag.TLS) !== 0 ? 1 : 0;
      r[Raw.PROTO_HTTP] = (flags & ProtocolFlag.HTTP) !== 0 ? 1 : 0;
      r[Raw.PROTO_DNS] = (flags & ProtocolFlag.DNS) !== 0 ? 1 : 0;
    }
    const f = vp.tcpFlags;
    r[Raw.TCP_SYN] = (f & TcpFlag.SYN) !== 0 ? 1 : 0;
    r[Raw.TCP_ACK] = (f & TcpFlag.ACK) !== 0 ? 1 : 0;
    r[Raw.TCP_FIN] = (f & TcpFlag.FIN) !== 0 ? 1 : 0;
    r[Raw.TCP_RST] = (f & TcpFlag.RST) !== 0 ? 1 : 0;
    r[Raw.TCP_PSH] = (f & TcpFlag.PSH) !== 0 ? 1 : 0;
  }

  /** Packets, bytes and age of this packet's flow as the observer can key it. */
  private measureFlow(vp: ViewPacket, r: Float64Array): void {
    const flow = this.flowOf(vp);
    if (flow === null) return;
    const ts = vp.ts;
    if (!this.flowIsNew && ts - flow.last > this.flowIdleS) {
      flow.id = this.nextFlowId++;
      flow.first = ts;
      flow.packets = 0;
      flow.bytes = 0;
      this.flowIsNew = true;
    }
    r[Raw.FLOW_FIRST] = this.flowIsNew ? 1 : 0;
    this.lastFlowId = flow.id;
    flow.packets++;
    flow.bytes += vp.size;
    if (ts > flow.last) flow.last = ts;
    r[Raw.FLOW_PACKETS] = flow.packets;
    r[Raw.FLOW_BYTES] = flow.bytes;
    r[Raw.FLOW_AGE] = ts > flow.first ? ts - flow.first : 0;
  }

  /**
   * The record of this packet's flow, made when new (then `flowIsNew` is set); null without IP.
   * The key is what the observer can form: protocol, the home end (under NAPT the shared public
   * address, so only the public port for IPv4), the remote end; both directions share it.
   */
  private flowOf(vp: ViewPacket): FlowRecord | null {
    this.flowIsNew = false;
    const inner = vp.inner;
    if (inner === null || inner.srcIp === null || inner.dstIp === null) return null;
    if (inner.ipVersion === 4)
      return this.flowOf4(vp, inner.srcIpv4, inner.dstIpv4, inner.srcPort, inner.dstPort);
    if (inner.ipVersion === 6)
      return this.flowOf6(vp, inner.srcIp, inner.dstIp, inner.srcPort, inner.dstPort);
    return null;
  }

  private flowOf4(
    vp: ViewPacket,
    src: number,
    dst: number,
    srcPort: number,
    dstPort: number,
  ): FlowRecord | null {
    if (src < 0 || dst < 0) return null;
    const proto = protoIndex(vp.ipProto);
    let hi: number;
    let lo: number;
    if (vp.direction === Direction.LOCAL) {
      const srcFirst = src < dst || (src === dst && srcPort <= dstPort);
      hi = srcFirst ? packEndpoint(proto, src, srcPort) : packEndpoint(proto, dst, dstPort);
      lo = srcFirst ? packAddressPort(dst, dstPort) : packAddressPort(src, srcPort);
    } else {
      const up = vp.direction === Direction.UP;
      const home = this.view === 'napt' ? 0 : up ? src : dst;
      hi = packEndpoint(proto, home, vp.localPort);
      lo = packAddressPort(up ? dst : src, vp.remotePort);
    }
    let flow = this.flows4.find(hi, lo);
    if (flow === undefined) {
      flow = newFlow(this.nextFlowId++, hi, lo, vp.ts);
      this.flows4.insert(flow);
      this.flowIsNew = true;
    }
    return flow;
  }

  private flowOf6(
    vp: ViewPacket,
    srcIp: string,
    dstIp: string,
    srcPort: number,
    dstPort: number,
  ): FlowRecord {
    let key: string;
    const proto = vp.ipProto;
    if (vp.direction === Direction.LOCAL) {
      const srcFirst = srcIp < dstIp || (srcIp === dstIp && srcPort <= dstPort);
      key = srcFirst
        ? `${proto}|${srcIp}|${srcPort}|${dstIp}|${dstPort}`
        : `${proto}|${dstIp}|${dstPort}|${srcIp}|${srcPort}`;
    } else {
      const up = vp.direction === Direction.UP;
      key = `${proto}|${up ? srcIp : dstIp}|${vp.localPort}|${up ? dstIp : srcIp}|${vp.remotePort}`;
    }
    let flow = this.flows6.get(key);
    if (flow === undefined) {
      if (this.flows6.size >= this.maxFlows) this.evictOldest6();
      flow = newFlow(this.nextFlowId++, 0, 0, vp.ts);
      this.flows6.set(key, flow);
      this.flowIsNew = true;
    }
    return flow;
  }

  /** Drops the oldest IPv6 flow (insertion order). */
  private evictOldest6(): void {
    this.eviction6 ??= this.flows6.keys();
    let oldest = this.eviction6.next();
    if (oldest.done === true) {
      this.eviction6 = this.flows6.keys();
      oldest = this.eviction6.next();
    }
    if (oldest.done !== true) this.flows6.delete(oldest.value);
  }
}

function newFlow(id: number, keyHi: number, keyLo: number, ts: number): FlowRecord {
  return { id, keyHi, keyLo, slot: 0, stamp: 0, first: ts, last: ts, packets: 0, bytes: 0 };
}
