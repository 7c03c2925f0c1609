import { describe, expect, it } from 'vitest';
import {
  announce,
  ARP_REPLY,
  ARP_REQUEST,
  arpFrame,
  ipv4Number,
  ipv4NumberAt,
  ipv4Text,
  macBytes,
  macNumberAt,
  parseArpFrame,
  whoHas,
} from '../../../../src-main/capture/inspect/arp-frame.ts';

describe('ARP frames', () => {
  it('builds the gratuitous form Linux takes at once: sender and target address the same, target MAC the announced one', () => {
    const frame = announce('192.168.1.1', '02:00:00:00:00:aa', '02:00:00:00:00:aa', {
      mac: '02:00:00:00:00:20',
    });
    expect(frame).toHaveLength(60);
    // Ethernet: to the one host, from this computer, type ARP
    expect([...frame.subarray(0, 14)]).toEqual([2, 0, 0, 0, 0, 0x20, 2, 0, 0, 0, 0, 0xaa, 0x08, 0x06]);
    expect(parseArpFrame(frame)).toEqual({
      etherDst: '02:00:00:00:00:20',
      etherSrc: '02:00:00:00:00:aa',
      op: ARP_REPLY,
      senderMac: '02:00:00:00:00:aa',
      senderIp: '192.168.1.1',
      targetMac: '02:00:00:00:00:aa',
      targetIp: '192.168.1.1',
    });
  });

  it('sends a restore from this computer while announcing the true owner (a switch must not learn the router on our port)', () => {
    const m = parseArpFrame(
      announce('192.168.1.1', '02:00:00:00:00:01', '02:00:00:00:00:aa', { mac: '02:00:00:00:00:20' }),
    );
    expect(m?.etherSrc).toBe('02:00:00:00:00:aa');
    expect(m?.senderMac).toBe('02:00:00:00:00:01');
  });

  it('asks who has an address, broadcast', () => {
    expect(parseArpFrame(whoHas('10.0.0.7', { mac: '02:00:00:00:00:aa', ip: '10.0.0.5' }))).toMatchObject({
      etherDst: 'ff:ff:ff:ff:ff:ff',
      op: ARP_REQUEST,
      senderIp: '10.0.0.5',
      targetMac: '00:00:00:00:00:00',
      targetIp: '10.0.0.7',
    });
  });

  it('reads only whole ARP-over-Ethernet frames', () => {
    const good = arpFrame({
      etherSrc: '02:00:00:00:00:01',
      etherDst: 'ff:ff:ff:ff:ff:ff',
      op: ARP_REQUEST,
      senderMac: '02:00:00:00:00:01',
      senderIp: '10.0.0.1',
      targetMac: '00:00:00:00:00:00',
      targetIp: '10.0.0.2',
    });
    expect(parseArpFrame(good.subarray(0, 41))).toBeNull();
    const ipv4 = good.slice();
    ipv4[13] = 0x00; // ethertype 0x0800
    expect(parseArpFrame(ipv4)).toBeNull();
    const wrongSizes = good.slice();
    wrongSizes[18] = 8;
    expect(parseArpFrame(wrongSizes)).toBeNull();
  });

  it('refuses malformed addresses rather than poisoning the wrong cache', () => {
    expect(() => macBytes('02:00:00:00:00')).toThrow(/not a MAC/);
    expect(() => macBytes('02:00:00:00:00:zz')).toThrow(/not a MAC/);
    expect(() => ipv4Number('10.0.0.256')).toThrow(/not an IPv4/);
    expect(() => ipv4Number('10.0.0')).toThrow(/not an IPv4/);
    expect(ipv4Text(ipv4Number('192.168.178.1'))).toBe('192.168.178.1');
    // the per-packet forms, without strings
    const bytes = Uint8Array.from([0, ...macBytes('fe:dc:ba:98:76:54'), 192, 168, 178, 1]);
    expect(macNumberAt(bytes, 1)).toBe(0xfedcba987654);
    expect(ipv4NumberAt(bytes, 7)).toBe(ipv4Number('192.168.178.1'));
  });
});
