import { describe, expect, it } from 'vitest';
import { decodePacket } from '../../../src-main/decode/decode-packet.ts';
import { LinkType } from '../../../src-main/capture/packet-source.ts';
import { concat, eth, ipv4, ipv6, MAC_A, MAC_B, mac, raw, tcp, u16, u32, udp, vlanTag } from './frames.ts';

const ip4Udp = ipv4(udp([1, 2, 3], 1234, 9999));
const ip6Udp = ipv6(udp([1, 2, 3], 1234, 9999), { next: 17 });

describe('Ethernet', () => {
  it('reads MACs and the EtherType', () => {
    const d = decodePacket(raw(eth(0x0800, ip4Udp)));
    expect(d.error).toBeNull();
    expect(d.layers).toEqual(['eth', 'ipv4', 'udp']);
    expect(d.srcMac).toBe(MAC_A);
    expect(d.dstMac).toBe(MAC_B);
    expect(d.etherType).toBe(0x0800);
    expect(d.vlanIds).toEqual([]);
  });

  it('an 802.3 length field with LLC is eth with no network layer', () => {
    const llc = [0x42, 0x42, 0x03, 0, 0, 0];
    const d = decodePacket(raw(eth(llc.length, llc)));
    expect(d.error).toBeNull();
    expect(d.layers).toEqual(['eth']);
    expect(d.etherType).toBe(0);
    expect(d.ipVersion).toBe(0);
  });

  it('an unknown EtherType stops after eth without error', () => {
    const d = decodePacket(raw(eth(0x88cc, [1, 2, 3, 4])));
    expect(d.layers).toEqual(['eth']);
    expect(d.etherType).toBe(0x88cc);
    expect(d.error).toBeNull();
  });

  it('a frame shorter than the header is truncated', () => {
    const d = decodePacket(raw(mac(MAC_B).concat([1, 2, 3])));
    expect(d.layers).toEqual([]);
    expect(d.error).toMatchObject({ kind: 'truncated', layer: 'eth', offset: 0 });
  });
});

describe('VLAN tags', () => {
  it('802.1Q', () => {
    const d = decodePacket(raw(eth(0x8100, concat(u16(0x2000 | 42), u16(0x0800), ip4Udp))));
    expect(d.layers).toEqual(['eth', 'vlan', 'ipv4', 'udp']);
    expect(d.vlanIds).toEqual([42]);
    expect(d.etherType).toBe(0x0800);
    expect(d.dstPort).toBe(9999);
  });

  it('QinQ with 802.1ad and with the old 0x9100 outer tag', () => {
    for (const outer of [0x88a8, 0x9100]) {
      const frame = eth(outer, concat(u16(100), vlanTag(0x8100, 200), u16(0x86dd), ip6Udp));
      const d = decodePacket(raw(frame));
      expect(d.error).toBeNull();
      expect(d.layers).toEqual(['eth', 'vlan', 'vlan', 'ipv6', 'udp']);
      expect(d.vlanIds).toEqual([100, 200]);
      expect(d.etherType).toBe(0x86dd);
    }
  });

  it('a cut tag is truncated in the vlan layer', () => {
    const d = decodePacket(raw(eth(0x8100, [0, 1])));
    expect(d.layers).toEqual(['eth']);
    expect(d.error).toMatchObject({ kind: 'truncated', layer: 'vlan', offset: 14 });
  });

  it('an endless tag stack is malformed', () => {
    const tags: number[] = [];
    for (let i = 0; i < 20; i++) tags.push(...u16(i), ...u16(0x8100));
    const d = decodePacket(raw(eth(0x8100, tags)));
    expect(d.error).toMatchObject({ kind: 'malformed', layer: 'vlan' });
    expect(d.vlanIds).toHaveLength(8);
  });
});

describe('Linux cooked capture', () => {
  it('SLL carries the source MAC and a protocol', () => {
    const hdr = concat(u16(0), u16(1), u16(6), mac(MAC_A), [0, 0], u16(0x0800));
    const d = decodePacket(raw(concat(hdr, ip4Udp), LinkType.LINUX_SLL));
    expect(d.error).toBeNull();
    expect(d.layers).toEqual(['sll', 'ipv4', 'udp']);
    expect(d.srcMac).toBe(MAC_A);
    expect(d.dstMac).toBeNull();
  });

  it('SLL with a non-Ethernet address has no MAC; LLC protocol has no network layer', () => {
    const hdr = concat(u16(4), u16(772), u16(0), [0, 0, 0, 0, 0, 0, 0, 0], u16(0x0004));
    const d = decodePacket(raw(concat(hdr, [1, 2, 3]), LinkType.LINUX_SLL));
    expect(d.layers).toEqual(['sll']);
    expect(d.srcMac).toBeNull();
    expect(d.error).toBeNull();
  });

  it('SLL2', () => {
    const hdr = concat(u16(0x86dd), u16(0), u32(3), u16(1), [0, 6], mac(MAC_A), [0, 0]);
    const d = decodePacket(raw(concat(hdr, ip6Udp), LinkType.LINUX_SLL2));
    expect(d.error).toBeNull();
    expect(d.layers).toEqual(['sll2', 'ipv6', 'udp']);
    expect(d.srcMac).toBe(MAC_A);
  });

  it('SLL2 truncated', () => {
    const d = decodePacket(raw([0x86, 0xdd, 0, 0], LinkType.LINUX_SLL2));
    expect(d.error).toMatchObject({ kind: 'truncated', layer: 'sll2' });
  });
});

describe('raw IP and loopback', () => {
  it('raw IP link types pick IPv4 / IPv6 from the version nibble', () => {
    for (const lt of [LinkType.RAW, LinkType.RAW_OPENBSD, LinkType.RAW_BSDOS]) {
      expect(decodePacket(raw(ip4Udp, lt)).layers).toEqual(['ipv4', 'udp']);
      expect(decodePacket(raw(ip6Udp, lt)).layers).toEqual(['ipv6', 'udp']);
    }
    expect(decodePacket(raw(ip4Udp, LinkType.IPV4)).layers).toEqual(['ipv4', 'udp']);
    expect(decodePacket(raw(ip6Udp, LinkType.IPV6)).layers).toEqual(['ipv6', 'udp']);
    const d = decodePacket(raw(ip4Udp, LinkType.RAW));
    expect(d.srcMac).toBeNull();
    expect(d.etherType).toBe(0x0800);
  });

  it('raw IP with another version is malformed', () => {
    const d = decodePacket(raw([0x50, 0, 0, 0], LinkType.RAW));
    expect(d.error).toMatchObject({ kind: 'malformed', layer: 'ipv4' });
  });

  it('IPv4 link type with an IPv6 packet is malformed at ipv4', () => {
    const d = decodePacket(raw(ip6Udp, LinkType.IPV4));
    expect(d.error).toMatchObject({ kind: 'malformed', layer: 'ipv4', offset: 0 });
  });

  it('NULL accepts the family in either byte order', () => {
    const le = decodePacket(raw(concat([2, 0, 0, 0], ip4Udp), LinkType.NULL));
    const be = decodePacket(raw(concat([0, 0, 0, 2], ip4Udp), LinkType.NULL));
    const darwin6 = decodePacket(raw(concat([30, 0, 0, 0], ip6Udp), LinkType.NULL));
    const linux6 = decodePacket(raw(concat([0, 0, 0, 10], ip6Udp), LinkType.NULL));
    expect(le.layers).toEqual(['loopback', 'ipv4', 'udp']);
    expect(be.layers).toEqual(['loopback', 'ipv4', 'udp']);
    expect(darwin6.layers).toEqual(['loopback', 'ipv6', 'udp']);
    expect(linux6.layers).toEqual(['loopback', 'ipv6', 'udp']);
  });

  it('LOOP is network byte order; unknown families stop quietly', () => {
    expect(decodePacket(raw(concat([0, 0, 0, 24], ip6Udp), LinkType.LOOP)).layers).toEqual([
      'loopback',
      'ipv6',
      'udp',
    ]);
    const d = decodePacket(raw(concat([0, 0, 0, 7], ip4Udp), LinkType.LOOP));
    expect(d.layers).toEqual(['loopback']);
    expect(d.error).toBeNull();
  });

  it('an unsupported link type is reported, not thrown', () => {
    const d = decodePacket(raw(ip4Udp, 105));
    expect(d.layers).toEqual([]);
    expect(d.error).toMatchObject({ kind: 'malformed', message: 'unsupported link type 105' });
  });
});

it('TCP over every link type reaches the ports', () => {
  const seg = ipv4(tcp([], 1, 2, 0x02), { proto: 6 });
  expect(decodePacket(raw(seg, LinkType.RAW)).dstPort).toBe(2);
});
