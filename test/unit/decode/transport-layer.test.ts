import { describe, expect, it } from 'vitest';
import { decodePacket } from '../../../src-main/decode/decode-packet.ts';
import { TcpFlag } from '../../../src-main/decode/decoded-packet.ts';
import { concat, eth, ipv4, ipv6, raw, tcp, u16, udp } from './frames.ts';

const v4 = (payload: number[], proto: number): number[] => eth(0x0800, ipv4(payload, { proto }));

describe('TCP', () => {
  it('reads ports, flags and steps over options to the payload', () => {
    const options = [2, 4, 0x05, 0xb4, 1, 1, 4, 2]; // MSS, NOP, NOP, SACK permitted
    const d = decodePacket(raw(v4(tcp([0xaa, 0xbb], 50123, 8883, TcpFlag.SYN | TcpFlag.ACK, options), 6)));
    expect(d.error).toBeNull();
    expect(d).toMatchObject({ srcPort: 50123, dstPort: 8883, tcpFlags: TcpFlag.SYN | TcpFlag.ACK });
    expect(d.payloadOffset).toBe(14 + 20 + 28);
    expect(d.payloadLength).toBe(2);
    expect(d.raw.bytes[d.payloadOffset]).toBe(0xaa);
  });

  it('keeps the ECN bits of the flags byte', () => {
    const d = decodePacket(raw(v4(tcp([], 1, 2, 0xc2), 6)));
    expect(d.tcpFlags & TcpFlag.SYN).toBe(TcpFlag.SYN);
    expect(d.tcpFlags).toBe(0xc2);
  });

  it('a data offset below 5 is malformed; options past the IP length are malformed', () => {
    const seg = tcp([]);
    seg[12] = 0x40;
    const d = decodePacket(raw(v4(seg, 6)));
    expect(d.error).toMatchObject({ kind: 'malformed', layer: 'tcp', offset: 14 + 20 + 12 });
    expect(d.layers).toEqual(['eth', 'ipv4']);
    const lying = tcp([]);
    lying[12] = 0xf0; // 60-byte header in a 20-byte segment, padding behind it
    const padded = decodePacket(raw(concat(v4(lying, 6), new Array<number>(60).fill(0))));
    expect(padded.error).toMatchObject({ kind: 'malformed', layer: 'tcp' });
    expect(padded.layers).toEqual(['eth', 'ipv4', 'tcp']);
  });

  it('a header cut by the capture is truncated', () => {
    const d = decodePacket(raw(v4(tcp([]), 6).slice(0, 14 + 20 + 12)));
    expect(d.error).toMatchObject({ kind: 'truncated', layer: 'tcp', offset: 34 });
  });
});

describe('UDP', () => {
  it('bounds the payload by the UDP length', () => {
    const d = decodePacket(raw(v4(udp([1, 2, 3, 4], 7, 9, 10), 17)));
    expect(d.error).toBeNull();
    expect(d.payloadLength).toBe(2);
  });

  it('a length below 8 or past the IP payload is malformed', () => {
    expect(decodePacket(raw(v4(udp([1], 7, 9, 4), 17))).error).toMatchObject({
      kind: 'malformed',
      layer: 'udp',
    });
    expect(decodePacket(raw(v4(udp([1], 7, 9, 200), 17))).error).toMatchObject({
      kind: 'malformed',
      layer: 'udp',
    });
  });

  it('a payload cut by the capture is short, not an error', () => {
    const full = v4(udp(new Array<number>(50).fill(1), 7, 9), 17);
    const d = decodePacket(raw(full.slice(0, 14 + 28 + 10), 1, full.length));
    expect(d.error).toBeNull();
    expect(d.payloadLength).toBe(10);
  });
});

describe('ICMP', () => {
  it('ICMP echo: type and code, no ports', () => {
    const d = decodePacket(raw(v4(concat([8, 0], u16(0), u16(1), u16(2), [0x61, 0x62]), 1)));
    expect(d.error).toBeNull();
    expect(d.layers).toEqual(['eth', 'ipv4', 'icmp']);
    expect(d).toMatchObject({ icmpType: 8, icmpCode: 0, srcPort: -1, dstPort: -1, payloadLength: 2 });
  });

  it('ICMPv6 neighbour solicitation', () => {
    const d = decodePacket(raw(eth(0x86dd, ipv6(concat([135, 0], u16(0), [0, 0, 0, 0]), { next: 58 }))));
    expect(d.layers).toEqual(['eth', 'ipv6', 'icmpv6']);
    expect(d).toMatchObject({ icmpType: 135, icmpCode: 0, ipProto: 58 });
  });

  it('an ICMP header cut by the capture is truncated; one longer than the datagram is malformed', () => {
    const full = v4(concat([3, 1], u16(0), u16(0), u16(0)), 1);
    const cut = decodePacket(raw(full.slice(0, 14 + 20 + 2), 1, full.length));
    expect(cut.error).toMatchObject({ kind: 'truncated', layer: 'icmp' });
    const short = decodePacket(raw(v4([3, 1, 0, 0], 1)));
    expect(short.layers).toEqual(['eth', 'ipv4', 'icmp']);
    expect(short.error).toMatchObject({ kind: 'malformed', layer: 'icmp' });
  });

  it('unknown IP protocols leave the IP payload as payload', () => {
    const d = decodePacket(raw(v4([0x11, 0, 0, 0, 1, 2, 3, 4], 2)));
    expect(d.layers).toEqual(['eth', 'ipv4']);
    expect(d.ipProto).toBe(2);
    expect(d.payloadLength).toBe(8);
    expect(d.error).toBeNull();
  });
});
