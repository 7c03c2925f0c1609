import { describe, expect, it } from 'vitest';
import { decodePacket } from '../../../src-main/decode/decode-packet.ts';
import { ascii, concat, eth, ip4, ipv4, mac, MAC_A, raw, u16, u32, udp } from './frames.ts';

function bootp(op: number, yiaddr: string, options: number[] | null): number[] {
  const fixed = concat(
    [op, 1, 6, 0],
    u32(0xdeadbeef),
    u16(0),
    u16(0),
    ip4('0.0.0.0'),
    ip4(yiaddr),
    ip4('0.0.0.0'),
    ip4('0.0.0.0'),
    mac(MAC_A),
    new Array<number>(10 + 64 + 128).fill(0),
  );
  return options === null ? fixed : concat(fixed, u32(0x63825363), options);
}

const overUdp = (msg: number[], sport = 68, dport = 67): ReturnType<typeof raw> =>
  raw(eth(0x0800, ipv4(udp(msg, sport, dport), { src: '0.0.0.0', dst: '255.255.255.255' })));

describe('DHCP', () => {
  it('reads a REQUEST with hostname, vendor class, parameter list and requested IP', () => {
    const options = concat(
      [53, 1, 3],
      [0, 0], // pads
      [12, 8],
      ascii('tuya-plg'),
      [60, 8],
      ascii('udhcp 1.'),
      [55, 4, 1, 3, 6, 15],
      [50, 4],
      ip4('192.168.4.20'),
      [255],
    );
    const d = decodePacket(overUdp(bootp(1, '0.0.0.0', options)));
    expect(d.error).toBeNull();
    expect(d.layers).toEqual(['eth', 'ipv4', 'udp', 'dhcp']);
    expect(d.hints?.dhcp).toEqual({
      messageType: 3,
      clientMac: MAC_A,
      yourIp: null,
      hostname: 'tuya-plg',
      vendorClass: 'udhcp 1.',
      paramList: [1, 3, 6, 15],
      requestedIp: '192.168.4.20',
      router: null,
      subnetMask: null,
    });
  });

  it('reads an ACK with router and subnet mask', () => {
    const options = concat(
      [53, 1, 5],
      [1, 4],
      ip4('255.255.255.0'),
      [3, 8],
      ip4('192.168.4.1'),
      ip4('192.168.4.254'),
      [255],
    );
    const d = decodePacket(overUdp(bootp(2, '192.168.4.20', options), 67, 68));
    expect(d.hints?.dhcp).toMatchObject({
      messageType: 5,
      yourIp: '192.168.4.20',
      router: '192.168.4.1',
      subnetMask: '255.255.255.0',
    });
  });

  it('plain BOOTP without the magic cookie has no options', () => {
    const d = decodePacket(overUdp(bootp(1, '0.0.0.0', null)));
    expect(d.error).toBeNull();
    expect(d.hints?.dhcp?.messageType).toBe(0);
  });

  it('an option running past the message is malformed; a cut one truncated', () => {
    const bad = decodePacket(overUdp(bootp(1, '0.0.0.0', concat([53, 1, 1], [12, 50], ascii('abc')))));
    expect(bad.error).toMatchObject({ kind: 'malformed', layer: 'dhcp' });
    expect(bad.hints?.dhcp?.messageType).toBe(1);
    const full = eth(
      0x0800,
      ipv4(udp(bootp(1, '0.0.0.0', concat([53, 1, 1], [12, 5], ascii('abcde'), [255])), 68, 67)),
    );
    const cut = decodePacket(raw(full.slice(0, full.length - 4), 1, full.length));
    expect(cut.error).toMatchObject({ kind: 'truncated', layer: 'dhcp' });
  });

  it('an impossible option length is malformed', () => {
    const d = decodePacket(overUdp(bootp(1, '0.0.0.0', concat([53, 2, 1, 1], [255]))));
    expect(d.error).toMatchObject({ kind: 'malformed', layer: 'dhcp' });
  });

  it('a short BOOTP header is malformed (the UDP length ends it)', () => {
    const d = decodePacket(overUdp(bootp(1, '0.0.0.0', null).slice(0, 100)));
    expect(d.error).toMatchObject({ kind: 'malformed', layer: 'dhcp' });
    expect(d.hints).toBeNull();
  });
});
