import { describe, expect, it } from 'vitest';
import { Crossing, ipv6Prefix64, RouterCrossing } from '../../../src-main/views/router-crossing.ts';
import { downPacket, HOME_MAC_A, makePacket, ROUTER_MAC, upPacket } from './decoded-packet-factory.ts';

describe('ipv6Prefix64', () => {
  it('expands "::" and keeps the first four groups', () => {
    expect(ipv6Prefix64('2001:db8:1:2::10')).toBe('2001:db8:1:2');
    expect(ipv6Prefix64('2001:db8::1')).toBe('2001:db8:0:0');
    expect(ipv6Prefix64('2001:db8:0:0:1:2:3:4')).toBe('2001:db8:0:0');
    expect(ipv6Prefix64('2001::')).toBe('2001:0:0:0');
    expect(ipv6Prefix64('::ffff:192.0.2.1')).toBe('0:0:0:0');
    expect(ipv6Prefix64('2a00:1450:4001:82a::200e')).toBe('2a00:1450:4001:82a');
  });
});

describe('RouterCrossing', () => {
  it('translates private ↔ public IPv4 and learns the router from it', () => {
    const c = new RouterCrossing();
    expect(c.classify(upPacket(1))).toBe(Crossing.UP_NAT);
    expect(c.classify(downPacket(2))).toBe(Crossing.DOWN_NAT);
    expect(c.stats.gatewayMacs).toBe(1);
    // Public-to-public IPv4 crosses untranslated once the router's MAC is known.
    const pub = { srcIp: '198.51.100.20', dstIp: '93.184.216.34' };
    expect(c.classify(makePacket({ ts: 3, ...pub, srcMac: HOME_MAC_A, dstMac: ROUTER_MAC }))).toBe(
      Crossing.UP,
    );
  });

  it('keeps CGNAT, loopback and multicast inside', () => {
    const c = new RouterCrossing();
    expect(c.classify(makePacket({ ts: 1, srcIp: '192.168.1.10', dstIp: '100.64.0.1' }))).toBe(
      Crossing.LOCAL,
    );
    expect(c.classify(makePacket({ ts: 1, srcIp: '127.0.0.1', dstIp: '127.0.0.1' }))).toBe(Crossing.LOCAL);
    expect(c.classify(makePacket({ ts: 1, srcIp: '192.168.1.10', dstIp: '239.255.255.250' }))).toBe(
      Crossing.LOCAL,
    );
  });
});
