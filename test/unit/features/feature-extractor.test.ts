import { describe, expect, it } from 'vitest';
import { IpProto, TcpFlag, type DecodedPacket } from '../../../src-main/decode/decoded-packet.ts';
import { FEATURE_SPEC, featureNames } from '../../../src-main/features/feature-spec.ts';
import { FeatureExtractor } from '../../../src-main/features/feature-extractor.ts';
import { createView } from '../../../src-main/views/create-view.ts';
import { LABEL_NONE } from '../../../src-main/devices/ground-truth.ts';
import {
  Direction,
  VIEW_NAMES,
  type ViewName,
  type ViewPacket,
} from '../../../src-main/views/view-packet.ts';
import { downPacket, makePacket, upPacket } from '../views/decoded-packet-factory.ts';

function viewPacket(
  pkt: DecodedPacket,
  direction: Direction,
  localPort: number,
  remotePort: number,
): ViewPacket {
  return {
    ts: pkt.raw.ts,
    size: pkt.raw.origLen,
    direction,
    ipProto: pkt.ipVersion === 0 ? -1 : pkt.ipProto,
    localPort,
    remotePort,
    tcpFlags: pkt.tcpFlags,
    label: 1,
    fileIndex: 0,
    packetIndex: 0,
    inner: pkt,
  };
}

/** Feature vector as a name → value record. */
function extractNamed(ex: FeatureExtractor, vp: ViewPacket): Record<string, number> {
  const out = new Float32Array(ex.length + 3).fill(-9);
  ex.extract(vp, out, 2);
  expect(out[0]).toBe(-9);
  expect(out[1]).toBe(-9);
  expect(out[ex.length + 2]).toBe(-9); // nothing written outside [offset, offset + length)
  return Object.fromEntries(ex.names.map((n, i) => [n, out[2 + i]]));
}

const f32 = (v: number): number => Math.fround(v);
const log1pNorm = (x: number, max: number, scale = 1): number =>
  f32(Math.log1p(scale * x) / Math.log1p(scale * max));

/** A mixed home stream: TCP/TLS, DNS, NTP, ICMP, ARP, mDNS, IPv6, local traffic. */
function mixedStream(): DecodedPacket[] {
  const list: DecodedPacket[] = [];
  let t = 1000;
  for (let i = 0; i < 400; i++) {
    t += (i % 11) * 0.013 + (i % 50 === 0 ? 30 : 0);
    const k = i % 9;
    if (k === 0)
      list.push(
        upPacket(t, { proto: IpProto.TCP, tcpFlags: TcpFlag.SYN, ipLength: 60, srcPort: 40000 + (i % 13) }),
      );
    else if (k === 1)
      list.push(
        downPacket(t, {
          proto: IpProto.TCP,
          tcpFlags: TcpFlag.ACK | TcpFlag.PSH,
          ipLength: 1500,
          dstPort: 40000 + (i % 13),
          payload: [23, 3, 3, 0, 10],
        }),
      );
    else if (k === 2)
      list.push(upPacket(t, { dstIp: '8.8.8.8', dstPort: 53, appLayers: ['dns'], ipLength: 70 }));
    else if (k === 3) list.push(upPacket(t, { dstPort: 123, ipLength: 76 }));
    else if (k === 4) list.push(upPacket(t, { proto: IpProto.ICMP, icmpType: 8, ipLength: 84 }));
    else if (k === 5) list.push(makePacket({ ts: t, arp: true }));
    else if (k === 6)
      list.push(
        makePacket({
          ts: t,
          srcIp: '192.168.1.10',
          dstIp: '224.0.0.251',
          srcPort: 5353,
          dstPort: 5353,
          appLayers: ['mdns'],
        }),
      );
    else if (k === 7)
      list.push(
        upPacket(t, {
          srcIp: '2001:db8:5::10',
          dstIp: '2606:4700::1111',
          proto: IpProto.TCP,
          ipLength: 1280,
        }),
      );
    else list.push(upPacket(t, { dstPort: 8883, proto: IpProto.TCP, ipLength: 200 + i }));
  }
  return list;
}

function runView(
  view: ViewName,
  packets: DecodedPacket[],
): { vectors: Float32Array; count: number; width: number } {
  const observer = createView(view, view === 'vpn' ? { profile: 'wireguard' } : {});
  const extractor = new FeatureExtractor(view);
  const width = extractor.length;
  const vectors = new Float32Array(width * packets.length * 3);
  let count = 0;
  const emit = (vp: ViewPacket): void => {
    extractor.extract(vp, vectors, count * width);
    count++;
  };
  packets.forEach((p, i) => {
    observer.push(p, LABEL_NONE, 0, i, emit);
  });
  observer.flush(emit);
  return { vectors: vectors.subarray(0, count * width), count, width };
}

describe('FeatureExtractor layout', () => {
  for (const view of VIEW_NAMES) {
    it(`${view}: writes the spec's features in order, each within its range, one-hot groups summing to 1`, () => {
      const extractor = new FeatureExtractor(view);
      expect(extractor.names).toEqual(featureNames(view));
      expect(extractor.length).toBe(FEATURE_SPEC.views[view].length);
      const { vectors, count, width } = runView(view, mixedStream());
      expect(count).toBeGreaterThan(50);
      const defs = FEATURE_SPEC.views[view];
      const groups = new Map<string, number[]>();
      defs.forEach((d, i) => {
        if (d.normalisation.kind === 'onehot')
          groups.set(d.normalisation.group, [...(groups.get(d.normalisation.group) ?? []), i]);
      });
      for (let p = 0; p < count; p++) {
        for (let i = 0; i < width; i++) {
          const v = vectors[p * width + i];
          expect(Number.isFinite(v)).toBe(true);
          expect(v).toBeGreaterThanOrEqual(defs[i].range[0]);
          expect(v).toBeLessThanOrEqual(defs[i].range[1]);
        }
        for (const members of groups.values()) {
          expect(members.reduce((s, i) => s + vectors[p * width + i], 0)).toBe(1);
        }
      }
    });
  }

  it('is deterministic: the same stream gives the same vectors', () => {
    for (const view of VIEW_NAMES) {
      expect(runView(view, mixedStream()).vectors).toEqual(runView(view, mixedStream()).vectors);
    }
  });
});

describe('FeatureExtractor values on known packets', () => {
  it('NAPT: a TCP SYN out to 443, its SYN-ACK, and a DNS query', () => {
    const ex = new FeatureExtractor('napt');
    const syn = extractNamed(
      ex,
      viewPacket(
        upPacket(10, { proto: IpProto.TCP, tcpFlags: TcpFlag.SYN, ipLength: 60, payloadLength: 0 }),
        Direction.UP,
        40000,
        443,
      ),
    );
    expect(syn.frame_length).toBe(f32(74 / 1514));
    expect(syn.frame_length_log).toBe(log1pNorm(74, 65535));
    expect(syn.size_bucket_65_127).toBe(1);
    expect(syn.size_bucket_le64).toBe(0);
    expect([syn.dir_up, syn.dir_down]).toEqual([1, 0]);
    expect([syn.iat_prev, syn.iat_prev_same_dir]).toEqual([0, 0]);
    expect(syn.pkts_1s).toBe(log1pNorm(1, 4096));
    expect(syn.bytes_1s).toBe(log1pNorm(74, 1e8));
    expect(syn.remote_port_443).toBe(1);
    expect([
      syn.proto_ip,
      syn.proto_tcp,
      syn.proto_udp,
      syn.proto_tls,
      syn.proto_http,
      syn.proto_dns,
      syn.proto_other,
    ]).toEqual([1, 1, 0, 0, 0, 0, 0]);
    expect([syn.tcp_syn, syn.tcp_ack, syn.tcp_fin, syn.tcp_rst, syn.tcp_psh]).toEqual([1, 0, 0, 0, 0]);
    expect(syn.flow_packets).toBe(log1pNorm(1, 1e6));
    expect([syn.flow_first, syn.flow_age, syn.ipv6]).toEqual([1, 0, 0]);

    const synAck = extractNamed(
      ex,
      viewPacket(
        downPacket(10.05, {
          proto: IpProto.TCP,
          tcpFlags: TcpFlag.SYN | TcpFlag.ACK,
          ipLength: 60,
          payloadLength: 0,
        }),
        Direction.DOWN,
        40000,
        443,
      ),
    );
    expect(synAck.iat_prev).toBe(log1pNorm(0.05, 600, 1000));
    expect(synAck.iat_prev_same_dir).toBe(0); // first packet down
    expect(synAck.pkts_1s).toBe(log1pNorm(2, 4096));
    expect(synAck.pkts_1s_same_dir).toBe(log1pNorm(1, 4096));
    expect([synAck.tcp_syn, synAck.tcp_ack]).toEqual([1, 1]);
    expect(synAck.flow_packets).toBe(log1pNorm(2, 1e6)); // the same flow both ways
    expect(synAck.flow_bytes).toBe(log1pNorm(148, 1e9));
    expect(synAck.flow_age).toBe(log1pNorm(10.05 - 10, 86400));
    expect(synAck.flow_first).toBe(0);

    const dns = extractNamed(
      ex,
      viewPacket(upPacket(12.05, { dstIp: '8.8.8.8', dstPort: 53, ipLength: 70 }), Direction.UP, 40001, 53),
    );
    expect(dns.iat_prev_same_dir).toBe(log1pNorm(2.05, 600, 1000));
    expect(dns.pkts_1s).toBe(log1pNorm(1, 4096)); // the others are more than 1 s old
    expect([dns.proto_udp, dns.proto_dns, dns.remote_port_53, dns.flow_first]).toEqual([1, 1, 1, 1]);
  });

  it('recognises TLS records, HTTP responses and classifies ports', () => {
    const ex = new FeatureExtractor('lan');
    const tls = extractNamed(
      ex,
      viewPacket(
        downPacket(1, { proto: IpProto.TCP, srcPort: 4433, payload: [23, 3, 3, 0, 32] }),
        Direction.DOWN,
        40000,
        4433,
      ),
    );
    expect([tls.proto_tls, tls.proto_http, tls.remote_port_registered]).toEqual([1, 0, 1]);
    const http = extractNamed(
      ex,
      viewPacket(
        downPacket(2, { proto: IpProto.TCP, srcPort: 8000, payload: [...Buffer.from('HTTP/1.1 200 OK')] }),
        Direction.DOWN,
        40000,
        8000,
      ),
    );
    expect([http.proto_tls, http.proto_http]).toEqual([0, 1]);
    const mqtt = extractNamed(
      ex,
      viewPacket(upPacket(3, { proto: IpProto.TCP, dstPort: 8883 }), Direction.UP, 40000, 8883),
    );
    expect([mqtt.remote_port_mqtt, mqtt.proto_tls]).toEqual([1, 1]);
    const ephemeral = extractNamed(
      ex,
      viewPacket(upPacket(4, { dstPort: 50000 }), Direction.UP, 40000, 50000),
    );
    expect(ephemeral.remote_port_ephemeral).toBe(1);
    const arp = extractNamed(ex, viewPacket(makePacket({ ts: 5, arp: true }), Direction.LOCAL, -1, -1));
    expect([
      arp.proto_ip,
      arp.proto_other,
      arp.remote_port_none,
      arp.dir_local,
      arp.flow_packets,
      arp.flow_first,
    ]).toEqual([0, 1, 1, 1, 0, 0]);
    const icmp = extractNamed(
      ex,
      viewPacket(upPacket(6, { proto: IpProto.ICMP, icmpType: 8 }), Direction.UP, -1, -1),
    );
    expect([icmp.proto_ip, icmp.proto_other, icmp.remote_port_none]).toEqual([1, 1, 1]);
  });

  it('clips and saturates: jumbo frames, long gaps', () => {
    const ex = new FeatureExtractor('vpn');
    const first = extractNamed(ex, viewPacket(upPacket(0, { ipLength: 9000 }), Direction.UP, 1, 1194));
    expect([first.frame_length, first.size_bucket_ge1400]).toEqual([1, 1]);
    const later = extractNamed(ex, viewPacket(upPacket(7200, { ipLength: 100 }), Direction.UP, 1, 1194));
    expect([later.iat_prev, later.iat_prev_same_dir]).toEqual([1, 1]);
  });

  it('restarts a flow after it idled past the flow timeout, and forgets everything on reset', () => {
    const ex = new FeatureExtractor('napt', FEATURE_SPEC, { flowIdleS: 60 });
    const pkt = (t: number): ViewPacket => viewPacket(upPacket(t), Direction.UP, 40000, 443);
    expect(extractNamed(ex, pkt(0)).flow_first).toBe(1);
    expect(extractNamed(ex, pkt(59)).flow_first).toBe(0);
    const restarted = extractNamed(ex, pkt(200));
    expect([restarted.flow_first, restarted.flow_packets]).toEqual([1, log1pNorm(1, 1e6)]);
    ex.reset();
    const fresh = extractNamed(ex, pkt(201));
    expect([fresh.flow_first, fresh.iat_prev]).toEqual([1, 0]);
  });

  it('measures size recurrence: time since the same size (and direction) and decayed same-size counts', () => {
    const ex = new FeatureExtractor('vpn');
    const up = (t: number, ipLength: number): ViewPacket =>
      viewPacket(upPacket(t, { ipLength }), Direction.UP, 1, 1194);
    const down = (t: number, ipLength: number): ViewPacket =>
      viewPacket(downPacket(t, { ipLength }), Direction.DOWN, 1, 1194);
    const first = extractNamed(ex, up(100, 120));
    expect([first.same_size_dir_since, first.same_size_since]).toEqual([1, 1]); // never seen: the horizon
    expect(first.same_size_dir_decay_60s).toBe(log1pNorm(1, 10000));
    const other = extractNamed(ex, up(101, 300));
    expect(other.same_size_dir_since).toBe(1);
    const reply = extractNamed(ex, down(110, 120));
    expect(reply.same_size_dir_since).toBe(1); // first of this size downwards
    expect(reply.same_size_since).toBe(log1pNorm(10, 3600, 10));
    const beat = extractNamed(ex, up(130, 120));
    expect(beat.same_size_dir_since).toBe(log1pNorm(30, 3600, 10));
    expect(beat.same_size_since).toBe(log1pNorm(20, 3600, 10));
    expect(beat.same_size_dir_decay_60s).toBe(log1pNorm(Math.exp(-30 / 60) + 1, 10000));
    expect(beat.same_size_dir_decay_600s).toBe(log1pNorm(Math.exp(-30 / 600) + 1, 10000));
    ex.reset();
    expect(extractNamed(ex, up(131, 120)).same_size_dir_since).toBe(1);
  });

  it('gives every flow an id that both directions share, a new one after an idle restart, -1 without flows', () => {
    const ex = new FeatureExtractor('napt', FEATURE_SPEC, { flowIdleS: 60 });
    const idOf = (vp: ViewPacket): number => {
      extractNamed(ex, vp);
      return ex.lastFlowId;
    };
    const a = idOf(viewPacket(upPacket(0), Direction.UP, 40000, 443));
    expect(idOf(viewPacket(downPacket(0.1), Direction.DOWN, 40000, 443))).toBe(a);
    const b = idOf(viewPacket(upPacket(1), Direction.UP, 40001, 443));
    expect(b).not.toBe(a);
    expect(idOf(viewPacket(upPacket(2), Direction.UP, 40000, 443))).toBe(a);
    const restarted = idOf(viewPacket(upPacket(100), Direction.UP, 40000, 443));
    expect([restarted === a, restarted === b]).toEqual([false, false]);
    expect(idOf(viewPacket(makePacket({ ts: 101, arp: true }), Direction.LOCAL, 0, 0))).toBe(-1);
    const vpn = new FeatureExtractor('vpn');
    extractNamed(vpn, viewPacket(upPacket(0), Direction.UP, 1, 1194));
    expect(vpn.lastFlowId).toBe(-1);
  });

  it('under NAPT keys IPv4 flows by public port, so two devices on different public ports are two flows', () => {
    const ex = new FeatureExtractor('napt');
    extractNamed(ex, viewPacket(upPacket(0, { srcIp: '192.168.1.10' }), Direction.UP, 40000, 443));
    const other = extractNamed(
      ex,
      viewPacket(upPacket(0.1, { srcIp: '192.168.1.11' }), Direction.UP, 51000, 443),
    );
    expect(other.flow_first).toBe(1);
  });
});

describe('FeatureExtractor ignores what a VPN carrier cannot see', () => {
  it('gives the same VPN vector whatever the inner packet was', () => {
    const a = new FeatureExtractor('vpn');
    const b = new FeatureExtractor('vpn');
    const va = extractNamed(a, {
      ...viewPacket(upPacket(1, { proto: IpProto.TCP, dstPort: 443 }), Direction.UP, 50000, 1194),
      ipProto: 17,
      tcpFlags: 0,
    });
    const vb = extractNamed(b, {
      ...viewPacket(upPacket(1, { dstPort: 53 }), Direction.UP, 50000, 1194),
      ipProto: 17,
      tcpFlags: 0,
      inner: null,
    });
    expect(va).toEqual(vb);
  });
});
