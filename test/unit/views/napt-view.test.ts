import { describe, expect, it } from 'vitest';
import { LinkType } from '../../../src-main/capture/packet-source.ts';
import { IpProto, TcpFlag, type DecodedPacket } from '../../../src-main/decode/decoded-packet.ts';
import { NaptView } from '../../../src-main/views/napt-view.ts';
import { Direction, type ViewPacket } from '../../../src-main/views/view-packet.ts';
import {
  downPacket,
  HOME_MAC_A,
  HOME_MAC_B,
  makePacket,
  ROUTER_MAC,
  upPacket,
} from './decoded-packet-factory.ts';

function run(view: NaptView, packets: DecodedPacket[], labels: number[] = []): ViewPacket[] {
  const out: ViewPacket[] = [];
  const emit = (vp: ViewPacket): void => {
    out.push(vp);
  };
  packets.forEach((p, i) => {
    view.push(p, labels[i] ?? 7, 0, i, emit);
  });
  view.flush(emit);
  return out;
}

describe('NaptView', () => {
  it('drops LAN-only traffic: ARP, mDNS, SSDP, LLMNR, DHCP, local DNS, device-to-device, IPv6 link-local', () => {
    const lanOnly = [
      makePacket({ ts: 1, arp: true, dstMac: 'ff:ff:ff:ff:ff:ff' }),
      makePacket({
        ts: 2,
        srcIp: '192.168.1.10',
        dstIp: '224.0.0.251',
        srcPort: 5353,
        dstPort: 5353,
        appLayers: ['mdns'],
      }),
      makePacket({
        ts: 3,
        srcIp: '192.168.1.10',
        dstIp: '239.255.255.250',
        dstPort: 1900,
        appLayers: ['ssdp'],
      }),
      makePacket({ ts: 4, srcIp: '192.168.1.10', dstIp: '224.0.0.252', dstPort: 5355 }),
      makePacket({
        ts: 5,
        srcIp: '0.0.0.0',
        dstIp: '255.255.255.255',
        srcPort: 68,
        dstPort: 67,
        appLayers: ['dhcp'],
      }),
      makePacket({
        ts: 6,
        srcIp: '192.168.1.1',
        dstIp: '192.168.1.10',
        srcPort: 67,
        dstPort: 68,
        appLayers: ['dhcp'],
      }),
      makePacket({ ts: 7, srcIp: '192.168.1.10', dstIp: '192.168.1.1', dstPort: 53, appLayers: ['dns'] }),
      makePacket({
        ts: 8,
        srcIp: '192.168.1.10',
        dstIp: '192.168.1.11',
        proto: IpProto.TCP,
        dstPort: 8009,
        dstMac: HOME_MAC_B,
      }),
      makePacket({ ts: 9, srcIp: 'fe80::1', dstIp: 'ff02::fb', srcPort: 5353, dstPort: 5353 }),
      makePacket({ ts: 10, srcIp: 'fe80::1', dstIp: 'fe80::2', proto: IpProto.ICMPV6, icmpType: 135 }),
      makePacket({ ts: 11, srcIp: '169.254.3.4', dstIp: '169.254.9.9' }),
    ];
    const view = new NaptView();
    expect(run(view, lanOnly)).toEqual([]);
    expect(view.stats.packetsIn).toBe(lanOnly.length);
    expect(view.stats.packetsHidden).toBe(lanOnly.length);
    expect(view.stats.packetsOut).toBe(0);
  });

  it('keeps crossing traffic with its size, time, direction and label', () => {
    const view = new NaptView();
    const out = run(
      view,
      [
        upPacket(100.5, { ipLength: 60, proto: IpProto.TCP, tcpFlags: TcpFlag.SYN }),
        makePacket({ ts: 100.6, srcIp: '192.168.1.10', dstIp: '8.8.8.8', dstPort: 53, appLayers: ['dns'] }),
        downPacket(100.7, { ipLength: 1500, proto: IpProto.TCP, tcpFlags: TcpFlag.ACK | TcpFlag.SYN }),
      ],
      [3, 4, 3],
    );
    expect(out.map((p) => [p.ts, p.size, p.direction, p.label, p.ipProto, p.remotePort, p.tcpFlags])).toEqual(
      [
        [100.5, 74, Direction.UP, 3, IpProto.TCP, 443, TcpFlag.SYN],
        [100.6, 114, Direction.UP, 4, IpProto.UDP, 53, 0],
        [100.7, 1514, Direction.DOWN, 3, IpProto.TCP, 443, TcpFlag.ACK | TcpFlag.SYN],
      ],
    );
    expect(out.map((p) => [p.fileIndex, p.packetIndex])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
    ]);
    expect(out[0].inner?.srcIp).toBe('192.168.1.10');
  });

  it('sizes frames as the WAN sees them: VLAN tags removed, non-Ethernet captures framed in Ethernet', () => {
    const view = new NaptView();
    const out = run(view, [
      upPacket(1, { vlanIds: [10], ipLength: 100 }), // 14 + 4 + 100 on the LAN
      upPacket(2, { linkType: LinkType.LINUX_SLL, ipLength: 100 }),
      upPacket(3, { linkType: LinkType.RAW, ipLength: 576 }),
      upPacket(4, { ipLength: 28, origLen: 60 }), // padded short frame stays as captured
    ]);
    expect(out.map((p) => p.size)).toEqual([114, 114, 590, 60]);
  });

  it('rewrites ports consistently within a flow and in both directions', () => {
    const view = new NaptView();
    const out = run(view, [
      upPacket(1, { srcPort: 40000 }),
      downPacket(1.1, { dstPort: 40000 }),
      upPacket(2, { srcPort: 40000 }),
      downPacket(2.1, { dstPort: 40000 }),
    ]);
    const ports = out.map((p) => p.localPort);
    expect(new Set(ports).size).toBe(1);
    expect(ports[0]).toBe(40000); // port-preserving when free, like Linux
    expect(out.map((p) => p.remotePort)).toEqual([443, 443, 443, 443]);
  });

  it('gives colliding source ports from two devices distinct public ports, each kept per endpoint', () => {
    const view = new NaptView();
    const server = { dstIp: '93.184.216.34', dstPort: 443, srcPort: 50000 };
    const out = run(view, [
      upPacket(1, { ...server, srcIp: '192.168.1.10', srcMac: HOME_MAC_A }),
      upPacket(2, { ...server, srcIp: '192.168.1.11', srcMac: HOME_MAC_B }),
      downPacket(3, { srcIp: '93.184.216.34', dstIp: '192.168.1.11', srcPort: 443, dstPort: 50000 }),
      // Same endpoints, other servers: endpoint-independent mapping (RFC 4787 REQ-1) keeps each port.
      upPacket(4, { ...server, srcIp: '192.168.1.10', dstIp: '1.1.1.1' }),
      upPacket(5, { ...server, srcIp: '192.168.1.11', dstIp: '1.1.1.1', srcMac: HOME_MAC_B }),
    ]);
    const [a, b, bDown, a2, b2] = out.map((p) => p.localPort);
    expect(a).toBe(50000);
    expect(b).not.toBe(50000);
    expect(b).toBeGreaterThanOrEqual(1024);
    expect(b).toBeLessThanOrEqual(65535);
    expect(bDown).toBe(b);
    expect(a2).toBe(a);
    expect(b2).toBe(b);
    expect(view.stats.flows.portsPreserved).toBe(1);
    expect(view.stats.flows.portsRemapped).toBe(1);
    expect(view.stats.flows.created).toBe(4);
  });

  it('keeps TCP and UDP port spaces apart', () => {
    const view = new NaptView();
    const out = run(view, [
      upPacket(1, { srcPort: 5000, proto: IpProto.UDP }),
      upPacket(2, { srcPort: 5000, proto: IpProto.TCP, srcIp: '192.168.1.11' }),
    ]);
    expect(out.map((p) => p.localPort)).toEqual([5000, 5000]);
  });

  it('expires flows by their conntrack timeouts and frees their ports', () => {
    const view = new NaptView();
    const other = { srcIp: '192.168.1.11', srcMac: HOME_MAC_B, srcPort: 40000 };
    const out = run(view, [
      upPacket(0, { srcPort: 40000 }), // A: unreplied UDP, 30 s
      upPacket(10, other), // B collides while A lives
      upPacket(45, { ...other, dstIp: '1.1.1.1' }), // B again after its own mapping timed out (40 s)
    ]);
    expect(out[0].localPort).toBe(40000);
    expect(out[1].localPort).not.toBe(40000);
    // B's first flow expired at 40 s: its endpoint is gone, A's (expired at 30 s) too, so B gets its own port back.
    expect(out[2].localPort).toBe(40000);
    expect(view.stats.flows.expired).toBeGreaterThanOrEqual(1);
  });

  it('keeps replied UDP for 120 s and established TCP for hours', () => {
    const view = new NaptView();
    run(view, [
      upPacket(0, { srcPort: 41000 }),
      downPacket(0.1, { dstPort: 41000 }),
      upPacket(100, { srcPort: 41000 }), // within the 120 s stream timeout: same flow
      upPacket(0, { srcPort: 42000, proto: IpProto.TCP, tcpFlags: TcpFlag.SYN }),
      downPacket(0.1, { dstPort: 42000, proto: IpProto.TCP, tcpFlags: TcpFlag.SYN | TcpFlag.ACK }),
      upPacket(3600, { srcPort: 42000, proto: IpProto.TCP }), // idle an hour, still established
    ]);
    expect(view.stats.flows.created).toBe(2);
    expect(view.stats.flows.expired).toBe(0);
    run(view, [upPacket(3700, { srcPort: 41000 })]); // 3600 s after its last packet
    expect(view.stats.flows.created).toBe(3);
    expect(view.stats.flows.expired).toBeGreaterThanOrEqual(1);
  });

  it('keeps an endpoint mapping while any of its flows lives, and drops it once all have timed out', () => {
    const view = new NaptView({ timeouts: { udpUnreplied: 30 } });
    const b = { srcIp: '192.168.1.11', srcMac: HOME_MAC_B, srcPort: 40000 };
    const out = run(view, [
      upPacket(0, { srcPort: 40000 }), // A holds 40000 until 30 s
      upPacket(1, b), // B remapped
      upPacket(20, { ...b, dstIp: '1.1.1.1' }), // B's mapping alive: same port
      upPacket(29, { srcPort: 40000, dstIp: '9.9.9.9' }), // A keeps 40000 alive until 59 s
      upPacket(55, { ...b, dstIp: '8.8.4.4' }), // B's flows ended at 31 and 50: new mapping, 40000 still A's
    ]);
    const ports = out.map((p) => p.localPort);
    expect(ports[2]).toBe(ports[1]);
    expect(ports[3]).toBe(40000);
    expect(ports[4]).not.toBe(40000);
    expect(ports[4]).not.toBe(ports[1]);
  });

  it('closes TCP flows quickly after a RST', () => {
    const view = new NaptView();
    run(view, [
      upPacket(0, { srcPort: 43000, proto: IpProto.TCP, tcpFlags: TcpFlag.SYN }),
      downPacket(0.1, { dstPort: 43000, proto: IpProto.TCP, tcpFlags: TcpFlag.RST | TcpFlag.ACK }),
      upPacket(20, { srcPort: 43000, proto: IpProto.TCP }),
    ]);
    expect(view.stats.flows.created).toBe(2);
  });

  it('bounds the flow table and counts evictions', () => {
    const view = new NaptView({ maxFlows: 4 });
    const packets = [];
    for (let i = 0; i < 10; i++) packets.push(upPacket(i * 0.01, { srcPort: 30000 + i, proto: IpProto.TCP }));
    run(view, packets);
    expect(view.stats.flows.active).toBe(4);
    expect(view.stats.flows.evicted).toBe(6);
  });

  it('forwards IPv6 global traffic untranslated and learns the router from IPv4 or Router Advertisements', () => {
    const v6 = { srcIp: '2001:db8:1:2::10', dstIp: '2606:4700::1111', srcPort: 50123, dstPort: 443 };
    const view = new NaptView();
    const out = run(view, [
      upPacket(0.5, v6), // router not known yet: cannot place, hidden
      makePacket({
        ts: 1,
        srcIp: 'fe80::1',
        dstIp: 'ff02::1',
        proto: IpProto.ICMPV6,
        icmpType: 134,
        srcMac: ROUTER_MAC,
      }),
      upPacket(2, v6),
      makePacket({
        ...v6,
        ts: 3,
        srcIp: v6.dstIp,
        dstIp: v6.srcIp,
        srcPort: 443,
        dstPort: 50123,
        srcMac: ROUTER_MAC,
        dstMac: HOME_MAC_A,
      }),
      makePacket({ ts: 4, srcIp: '2001:db8:1:2::10', dstIp: '2001:db8:1:2::11', dstMac: HOME_MAC_B }), // same /64
      makePacket({ ts: 5, srcIp: 'fd00::10', dstIp: '2606:4700::1111' }), // ULA cannot cross
    ]);
    expect(out.map((p) => [p.ts, p.direction, p.localPort, p.remotePort])).toEqual([
      [2, Direction.UP, 50123, 443],
      [3, Direction.DOWN, 50123, 443],
    ]);
    expect(view.stats.crossing.unresolved).toBe(1);
  });

  it('accepts the router MAC and home prefix as options', () => {
    const view = new NaptView({ homePrefixes: ['2001:db8:1:2::'] });
    const out = run(view, [
      makePacket({
        ts: 1,
        srcIp: '2001:db8:1:2::10',
        dstIp: '2606:4700::1111',
        srcMac: HOME_MAC_A,
        dstMac: '02:00:00:00:00:99',
      }),
    ]);
    expect(out.map((p) => p.direction)).toEqual([Direction.UP]);
  });

  it('shows non-first fragments without ports', () => {
    const view = new NaptView();
    const out = run(view, [upPacket(1, { fragmentOffset: 1480 })]);
    expect(out.map((p) => [p.localPort, p.remotePort])).toEqual([[-1, -1]]);
  });

  it('is deterministic: the same input gives the same output', () => {
    const input = (): DecodedPacket[] => {
      const list: DecodedPacket[] = [];
      for (let i = 0; i < 200; i++) {
        const device = `192.168.1.${10 + (i % 5)}`;
        list.push(upPacket(i * 0.7, { srcIp: device, srcPort: 40000 + (i % 3), dstIp: `8.8.${i % 7}.8` }));
      }
      return list;
    };
    const strip = (vps: ViewPacket[]): unknown[] => vps.map((p) => ({ ...p, inner: null }));
    const first = strip(run(new NaptView({ seed: 9 }), input()));
    const second = strip(run(new NaptView({ seed: 9 }), input()));
    expect(second).toEqual(first);
    const view = new NaptView({ seed: 9 });
    run(view, input());
    view.reset();
    expect(strip(run(view, input()))).toEqual(first);
  });
});
