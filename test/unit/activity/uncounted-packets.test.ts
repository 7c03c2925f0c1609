/**
 * Which packets show a device awake but never make it busy: network plumbing, refusals and the
 * attempts they refuse — told from what each observer sees (the LAN and the ISP see protocols,
 * ports and TCP flags; a VPN carrier sees the tunnel's datagrams only).
 */
import { describe, expect, it } from 'vitest';
import {
  COUNTED,
  isAttempt,
  isPlumbing,
  isRefusal,
  PLUMBING,
  REFUSAL_SECONDS,
  UncountedPackets,
} from '../../../src-main/activity/uncounted-packets.ts';
import { ViewLog } from '../../../src-main/audit/view-log.ts';
import { IpProto, TcpFlag, type DecodedPacket } from '../../../src-main/decode/decoded-packet.ts';
import { createView } from '../../../src-main/views/create-view.ts';
import type { ViewName, ViewPacket } from '../../../src-main/views/view-packet.ts';
import { downPacket, makePacket, upPacket } from '../views/decoded-packet-factory.ts';

/** The packet as the observer of `view` sees it (the VPN view also emits its tunnel's own messages). */
function seen(view: ViewName, packets: DecodedPacket[]): ViewPacket[] {
  const observer = createView(view, view === 'vpn' ? { profile: 'wireguard' } : {});
  const out: ViewPacket[] = [];
  packets.forEach((p, i) => {
    observer.push(p, 1, 0, i, (vp) => out.push(vp));
  });
  observer.flush((vp) => out.push(vp));
  return out.filter((vp) => vp.inner !== null);
}

const lan = (p: DecodedPacket): ViewPacket => seen('lan', [p])[0];

const syn = (ts: number): DecodedPacket =>
  upPacket(ts, { proto: IpProto.TCP, tcpFlags: TcpFlag.SYN, ipLength: 48, payloadLength: 0 });
const reset = (ts: number): DecodedPacket =>
  downPacket(ts, { proto: IpProto.TCP, tcpFlags: TcpFlag.RST | TcpFlag.ACK, ipLength: 40, payloadLength: 0 });
const ntp = (ts: number): DecodedPacket => upPacket(ts, { dstPort: 123, ipLength: 76 });
const unreachable = (ts: number): DecodedPacket =>
  downPacket(ts, { proto: IpProto.ICMP, icmpType: 3, ipLength: 104 });
const dnsQuery = (ts: number): DecodedPacket => upPacket(ts, { dstPort: 53, ipLength: 69 });

describe('isPlumbing', () => {
  it('takes frames that are not IP, ICMP, DHCP and DNS for plumbing', () => {
    expect(isPlumbing(lan(makePacket({ ts: 1, arp: true })))).toBe(true);
    expect(isPlumbing(lan(unreachable(1)))).toBe(true);
    expect(isPlumbing(lan(upPacket(1, { proto: IpProto.ICMP, icmpType: 8 })))).toBe(true);
    expect(isPlumbing(lan(dnsQuery(1)))).toBe(true);
    expect(isPlumbing(lan(downPacket(1, { srcPort: 53 })))).toBe(true);
    expect(isPlumbing(lan(upPacket(1, { srcPort: 68, dstPort: 67 })))).toBe(true);
    expect(isPlumbing(lan(upPacket(1, { proto: IpProto.TCP, dstPort: 853 })))).toBe(true);
  });

  it('counts every other packet, discovery and name announcements included', () => {
    expect(isPlumbing(lan(upPacket(1)))).toBe(false);
    expect(isPlumbing(lan(syn(1)))).toBe(false);
    expect(isPlumbing(lan(ntp(1)))).toBe(false);
    // mDNS: a phone's app looking for the device is someone using it
    expect(isPlumbing(lan(upPacket(1, { srcPort: 5353, dstPort: 5353, dstIp: '224.0.0.251' })))).toBe(false);
  });
});

describe('isRefusal and isAttempt', () => {
  it('takes an empty TCP reset and ICMP destination unreachable for refusals', () => {
    expect(isRefusal(lan(reset(1)))).toBe(true);
    expect(isRefusal(lan(unreachable(1)))).toBe(true);
    expect(
      isRefusal(
        lan(downPacket(1, { proto: IpProto.ICMPV6, icmpType: 1, srcIp: '2001:db8::1', dstIp: 'fe80::1' })),
      ),
    ).toBe(true);
  });

  it('takes no answer with data, no echo reply and no ordinary segment for a refusal', () => {
    expect(
      isRefusal(lan(downPacket(1, { proto: IpProto.TCP, tcpFlags: TcpFlag.RST, payloadLength: 20 }))),
    ).toBe(false);
    expect(isRefusal(lan(downPacket(1, { proto: IpProto.ICMP, icmpType: 0 })))).toBe(false);
    expect(isRefusal(lan(downPacket(1, { proto: IpProto.TCP, tcpFlags: TcpFlag.ACK })))).toBe(false);
  });

  it('takes a bare SYN or a datagram for an attempt, never a segment of an open connection', () => {
    expect(isAttempt(lan(syn(1)))).toBe(true);
    expect(isAttempt(lan(ntp(1)))).toBe(true);
    expect(isAttempt(lan(upPacket(1, { proto: IpProto.TCP, tcpFlags: TcpFlag.SYN | TcpFlag.ACK })))).toBe(
      false,
    );
    expect(isAttempt(lan(upPacket(1, { proto: IpProto.TCP, tcpFlags: TcpFlag.ACK | TcpFlag.PSH })))).toBe(
      false,
    );
  });
});

describe('UncountedPackets', () => {
  it('pairs a refusal with the attempt it answers, once, and only soon after it', () => {
    const marks = new UncountedPackets<string>();
    expect(marks.sent('a', lan(syn(10)))).toBe(COUNTED);
    // the SYN's frame (14 + 48 bytes) leaves the volume with its reset
    expect(marks.received('a', lan(reset(10.002)))).toBe(62);
    // a second reset refuses nothing more
    expect(marks.received('a', lan(reset(10.004)))).toBe(0);
    expect(marks.sent('a', lan(ntp(20)))).toBe(COUNTED);
    expect(marks.received('a', lan(unreachable(20 + REFUSAL_SECONDS + 0.5)))).toBe(0);
  });

  it('keeps devices apart and never takes back a name lookup, which was never counted', () => {
    const marks = new UncountedPackets<string>();
    marks.sent('a', lan(syn(10)));
    expect(marks.received('b', lan(reset(10.002)))).toBe(0);
    expect(marks.sent('a', lan(dnsQuery(11)))).toBe(PLUMBING);
    expect(marks.received('a', lan(unreachable(11.01)))).toBe(0);
  });

  it('counts answers that are not refusals, and marks plumbing that comes in', () => {
    const marks = new UncountedPackets<string>();
    marks.sent('a', lan(syn(10)));
    expect(
      marks.received(
        'a',
        lan(downPacket(10.01, { proto: IpProto.TCP, tcpFlags: TcpFlag.SYN | TcpFlag.ACK })),
      ),
    ).toBe(COUNTED);
    expect(marks.received('a', lan(downPacket(10.02, { srcPort: 53 })))).toBe(PLUMBING);
  });
});

describe('ViewLog marks', () => {
  const retry = (ts: number): DecodedPacket[] => [dnsQuery(ts), syn(ts + 0.01), reset(ts + 0.012)];

  it('marks what the ISP sees of a refused retry, and nothing through a VPN tunnel', () => {
    const packets = [...retry(100), ...retry(103)];
    const napt = new ViewLog('napt');
    for (const vp of seen('napt', packets)) napt.add(vp);
    expect(Array.from(napt.mark.subarray(0, napt.rows))).toEqual([
      PLUMBING,
      COUNTED,
      62,
      PLUMBING,
      COUNTED,
      62,
    ]);
    const vpn = new ViewLog('vpn');
    for (const vp of seen('vpn', packets)) vpn.add(vp);
    expect(vpn.rows).toBe(6);
    expect(Array.from(vpn.mark.subarray(0, vpn.rows)).every((m) => m === COUNTED)).toBe(true);
  });
});
