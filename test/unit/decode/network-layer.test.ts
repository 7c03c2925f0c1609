import { describe, expect, it } from 'vitest';
import { decodePacket } from '../../../src-main/decode/decode-packet.ts';
import { concat, eth, extHeader, ip4, ipv4, ipv6, mac, MAC_A, raw, tcp, u16, u32, udp } from './frames.ts';

describe('IPv4', () => {
  it('reads addresses, TTL and protocol', () => {
    const d = decodePacket(raw(eth(0x0800, ipv4(udp([9]), { src: '10.0.0.1', dst: '10.0.0.2', ttl: 7 }))));
    expect(d).toMatchObject({ ipVersion: 4, srcIp: '10.0.0.1', dstIp: '10.0.0.2', ttl: 7, ipProto: 17 });
    expect(d.srcIpv4).toBe(0x0a000001);
    expect(d.dstIpv4).toBe(0x0a000002);
    expect(d.fragmentOffset).toBe(0);
    expect(d.moreFragments).toBe(false);
  });

  it('steps over options', () => {
    const d = decodePacket(raw(eth(0x0800, ipv4(udp([9], 1, 2), { options: [0x94, 4, 0, 0, 1, 1, 1, 0] }))));
    expect(d.error).toBeNull();
    expect(d.layers).toEqual(['eth', 'ipv4', 'udp']);
    expect(d.srcPort).toBe(1);
    expect(d.payloadOffset).toBe(14 + 28 + 8);
  });

  it('bounds the payload by the total length, so Ethernet padding is not payload', () => {
    const frame = concat(eth(0x0800, ipv4(udp([7, 7], 5, 6))), new Array<number>(16).fill(0));
    const d = decodePacket(raw(frame));
    expect(d.error).toBeNull();
    expect(d.payloadLength).toBe(2);
  });

  it('first fragment decodes transport; later fragments do not', () => {
    const first = decodePacket(raw(eth(0x0800, ipv4(udp([1, 2, 3, 4], 5, 6, 3000), { fragWord: 0x2000 }))));
    expect(first.error).toBeNull();
    expect(first.moreFragments).toBe(true);
    expect(first.layers).toEqual(['eth', 'ipv4', 'udp']);
    expect(first.dstPort).toBe(6);

    const later = decodePacket(raw(eth(0x0800, ipv4([1, 2, 3, 4, 5, 6, 7, 8], { fragWord: 0x0000 | 185 }))));
    expect(later.layers).toEqual(['eth', 'ipv4']);
    expect(later.fragmentOffset).toBe(185 * 8);
    expect(later.srcPort).toBe(-1);
    expect(later.ipProto).toBe(17);
    expect(later.payloadLength).toBe(8);
    expect(later.error).toBeNull();
  });

  it('header length below 20 and total length below header are malformed', () => {
    const bad = ipv4(udp([1]));
    bad[0] = 0x44;
    expect(decodePacket(raw(eth(0x0800, bad))).error).toMatchObject({
      kind: 'malformed',
      layer: 'ipv4',
      offset: 14,
    });
    const short = decodePacket(raw(eth(0x0800, ipv4(udp([1]), { totalLength: 12 }))));
    expect(short.error).toMatchObject({ kind: 'malformed', layer: 'ipv4' });
  });

  it('a cut header is truncated; options cut by the capture too', () => {
    const cut = decodePacket(raw(eth(0x0800, ipv4(udp([1])).slice(0, 10))));
    expect(cut.layers).toEqual(['eth']);
    expect(cut.error).toMatchObject({ kind: 'truncated', layer: 'ipv4', offset: 14 });
    const opts = decodePacket(raw(eth(0x0800, ipv4([], { options: [1, 1, 1, 1, 1, 1, 1, 1] }).slice(0, 24))));
    expect(opts.layers).toEqual(['eth', 'ipv4']);
    expect(opts.error).toMatchObject({ kind: 'truncated', layer: 'ipv4' });
  });

  it('a snap-length cut keeps the IP layer and truncates the transport', () => {
    const full = eth(0x0800, ipv4(tcp(new Array<number>(100).fill(0x41)), { proto: 6 }));
    const d = decodePacket(raw(full.slice(0, 14 + 20 + 10), 1, full.length));
    expect(d.layers).toEqual(['eth', 'ipv4']);
    expect(d.error).toMatchObject({ kind: 'truncated', layer: 'tcp', offset: 34 });
  });

  it('total length 0 (segmentation offload) uses the captured bytes', () => {
    const d = decodePacket(raw(eth(0x0800, ipv4(tcp([1, 2, 3], 80, 81), { proto: 6, totalLength: 0 }))));
    expect(d.error).toBeNull();
    expect(d.payloadLength).toBe(3);
  });
});

describe('IPv6', () => {
  it('reads addresses and hop limit', () => {
    const d = decodePacket(
      raw(eth(0x86dd, ipv6(udp([1], 5353, 5353), { src: '2001:db8::1', dst: 'ff02::fb', hopLimit: 1 }))),
    );
    expect(d).toMatchObject({ ipVersion: 6, srcIp: '2001:db8::1', dstIp: 'ff02::fb', ttl: 1, ipProto: 17 });
  });

  it('walks hop-by-hop, destination options, routing and AH to the upper layer', () => {
    const ah = concat([6, 4, 0, 0], u32(1), u32(1), u32(0), u32(0), u32(0)); // (4+2)*4 = 24 bytes
    const chain = concat(
      extHeader(60),
      extHeader(43, [0, 0, 0, 0, 0, 0]),
      extHeader(51),
      ah,
      tcp([1], 1000, 80),
    );
    const d = decodePacket(raw(eth(0x86dd, ipv6(chain, { next: 0 }))));
    expect(d.error).toBeNull();
    expect(d.layers).toEqual(['eth', 'ipv6', 'tcp']);
    expect(d.ipProto).toBe(6);
    expect(d.dstPort).toBe(80);
  });

  it('fragment header: first fragment decodes transport, later does not', () => {
    const frag = (offsetWord: number, next = 17): number[] => concat([next, 0], u16(offsetWord), u32(99));
    const first = decodePacket(
      raw(eth(0x86dd, ipv6(concat(frag(1), udp([1, 2], 7, 8, 2000)), { next: 44 }))),
    );
    expect(first.layers).toEqual(['eth', 'ipv6', 'udp']);
    expect(first.moreFragments).toBe(true);
    expect(first.error).toBeNull();
    const later = decodePacket(raw(eth(0x86dd, ipv6(concat(frag(1448 | 0), [1, 2, 3, 4]), { next: 44 }))));
    expect(later.layers).toEqual(['eth', 'ipv6']);
    expect(later.fragmentOffset).toBe(1448);
    expect(later.ipProto).toBe(17);
    expect(later.payloadLength).toBe(4);
  });

  it('an endless extension chain is malformed', () => {
    const chain: number[] = [];
    for (let i = 0; i < 12; i++) chain.push(...extHeader(60));
    const d = decodePacket(raw(eth(0x86dd, ipv6(chain, { next: 60 }))));
    expect(d.error).toMatchObject({ kind: 'malformed', layer: 'ipv6' });
    expect(d.layers).toEqual(['eth', 'ipv6']);
  });

  it('an extension header past the payload length is malformed; past the capture truncated', () => {
    const body = concat(extHeader(17), udp([1]));
    const lying = decodePacket(raw(eth(0x86dd, ipv6(body, { next: 0, payloadLength: 4 }))));
    expect(lying.error).toMatchObject({ kind: 'malformed', layer: 'ipv6' });
    const cut = decodePacket(raw(eth(0x86dd, ipv6(body, { next: 0 })).slice(0, 14 + 40 + 4)));
    expect(cut.error).toMatchObject({ kind: 'truncated', layer: 'ipv6', offset: 54 });
  });

  it('a wrong version nibble is malformed', () => {
    const b = ipv6([]);
    b[0] = 0x40;
    expect(decodePacket(raw(eth(0x86dd, b))).error).toMatchObject({ kind: 'malformed', layer: 'ipv6' });
  });
});

describe('ARP', () => {
  const arp = (op: number): number[] =>
    concat(
      u16(1),
      u16(0x0800),
      [6, 4],
      u16(op),
      mac(MAC_A),
      ip4('192.168.4.2'),
      [0, 0, 0, 0, 0, 0],
      ip4('192.168.4.1'),
    );

  it('reads an Ethernet/IPv4 request', () => {
    const d = decodePacket(
      raw(concat(eth(0x0806, arp(1), 'ff:ff:ff:ff:ff:ff'), new Array<number>(18).fill(0))),
    );
    expect(d.error).toBeNull();
    expect(d.layers).toEqual(['eth', 'arp']);
    expect(d.etherType).toBe(0x0806);
    expect(d.arp).toEqual({
      op: 1,
      senderMac: MAC_A,
      senderIp: '192.168.4.2',
      targetMac: '00:00:00:00:00:00',
      targetIp: '192.168.4.1',
    });
    expect(d.ipVersion).toBe(0);
  });

  it('a cut ARP is truncated; other hardware types are left unread', () => {
    const cut = decodePacket(raw(eth(0x0806, arp(2).slice(0, 20))));
    expect(cut.error).toMatchObject({ kind: 'truncated', layer: 'arp' });
    expect(cut.arp).toBeNull();
    const other = arp(1);
    other[1] = 6;
    const d = decodePacket(raw(eth(0x0806, other)));
    expect(d.arp).toBeNull();
    expect(d.error).toBeNull();
  });
});
