import { describe, expect, it } from 'vitest';
import { decodePacket } from '../../../src-main/decode/decode-packet.ts';
import { ascii, concat, dnsName, eth, ip4, ip6, ipv4, ipv6, raw, tcp, u16, u32, udp } from './frames.ts';

function header(id: number, flags: number, qd: number, an: number, ns = 0, ar = 0): number[] {
  return concat(u16(id), u16(flags), u16(qd), u16(an), u16(ns), u16(ar));
}
const rr = (name: number[], type: number, rdata: number[]): number[] =>
  concat(name, u16(type), u16(1), u32(120), u16(rdata.length), rdata);
const ptr = (offset: number): number[] => [0xc0 | (offset >> 8), offset & 0xff];

const overUdp = (msg: number[], sport = 53, dport = 40000): ReturnType<typeof raw> =>
  raw(eth(0x0800, ipv4(udp(msg, sport, dport))));

describe('DNS', () => {
  it('reads a query', () => {
    const d = decodePacket(
      overUdp(concat(header(0x1234, 0x0100, 1, 0), dnsName('api.example.com'), u16(1), u16(1)), 40000, 53),
    );
    expect(d.error).toBeNull();
    expect(d.layers).toEqual(['eth', 'ipv4', 'udp', 'dns']);
    expect(d.hints?.dns).toEqual({
      id: 0x1234,
      response: false,
      questions: ['api.example.com'],
      answers: [],
    });
  });

  it('reads a response with compressed names and A / AAAA / CNAME records', () => {
    // Question name at offset 12; answers point back to it.
    const msg = concat(
      header(7, 0x8180, 1, 3),
      dnsName('www.example.com'),
      u16(1),
      u16(1),
      rr(ptr(12), 5, concat([4], ascii('edge'), ptr(16))), // CNAME edge.example.com
      rr(ptr(12), 1, ip4('93.184.216.34')),
      rr(ptr(16), 28, ip6('2606:2800:220:1::248')),
    );
    const d = decodePacket(overUdp(msg));
    expect(d.error).toBeNull();
    expect(d.hints?.dns?.response).toBe(true);
    expect(d.hints?.dns?.questions).toEqual(['www.example.com']);
    expect(d.hints?.dns?.answers).toEqual([
      { name: 'www.example.com', type: 5, data: 'edge.example.com' },
      { name: 'www.example.com', type: 1, data: '93.184.216.34' },
      { name: 'example.com', type: 28, data: '2606:2800:220:1::248' },
    ]);
  });

  it('mDNS over IPv6: PTR, SRV and TXT records', () => {
    // 12: _hap._tcp.local ; instance "Bulb._hap._tcp.local" points at 12
    const msg = concat(
      header(0, 0x8400, 0, 3),
      rr(dnsName('_hap._tcp.local'), 12, concat([4], ascii('Bulb'), ptr(12))),
      rr(ptr(12 + 17 + 10), 33, concat(u16(0), u16(0), u16(8080), [7], ascii('bulb-01'), ptr(12 + 5 + 5))),
      rr(ptr(12 + 17 + 10), 16, concat([4], ascii('md=X'), [6], ascii('id=1:2'))),
    );
    const d = decodePacket(raw(eth(0x86dd, ipv6(udp(msg, 5353, 5353), { next: 17 }))));
    expect(d.error).toBeNull();
    expect(d.layers).toEqual(['eth', 'ipv6', 'udp', 'mdns']);
    expect(d.hints?.dns?.answers).toEqual([
      { name: '_hap._tcp.local', type: 12, data: 'Bulb._hap._tcp.local' },
      { name: 'Bulb._hap._tcp.local', type: 33, data: 'bulb-01.local:8080' },
      { name: 'Bulb._hap._tcp.local', type: 16, data: 'md=X;id=1:2' },
    ]);
  });

  it('names are UTF-8 and the root name is empty', () => {
    const msg = concat(header(1, 0, 2, 0), [6], ascii('Küche'), [0], u16(1), u16(1), [0], u16(2), u16(1));
    const d = decodePacket(overUdp(msg, 5353, 5353));
    expect(d.hints?.dns?.questions).toEqual(['Küche', '']);
  });

  it('a compression pointer loop is malformed and ends quickly', () => {
    const msg = concat(header(1, 0, 1, 0), ptr(12), u16(1), u16(1));
    const d = decodePacket(overUdp(msg));
    expect(d.error).toMatchObject({
      kind: 'malformed',
      layer: 'dns',
      message: 'DNS compression pointer loop',
    });
    expect(d.layers).toEqual(['eth', 'ipv4', 'udp', 'dns']);
    expect(d.hints?.dns?.questions).toEqual([]);
  });

  it('a two-pointer loop and a pointer past the message are malformed', () => {
    const loop2 = concat(header(1, 0, 1, 0), [1, 0x61], ptr(16), [1, 0x62], ptr(12));
    expect(decodePacket(overUdp(loop2)).error).toMatchObject({ kind: 'malformed', layer: 'dns' });
    const past = concat(header(1, 0, 1, 0), ptr(500), u16(1), u16(1));
    expect(decodePacket(overUdp(past)).error).toMatchObject({
      kind: 'malformed',
      message: 'DNS compression pointer past the message',
    });
  });

  it('a name over 255 octets or a reserved label type is malformed', () => {
    const long = concat(...new Array<number[]>(10).fill(concat([40], new Array<number>(40).fill(0x61))), [0]);
    expect(decodePacket(overUdp(concat(header(1, 0, 1, 0), long, u16(1), u16(1)))).error).toMatchObject({
      kind: 'malformed',
      message: 'DNS name longer than 255 octets',
    });
    expect(decodePacket(overUdp(concat(header(1, 0, 1, 0), [0x80, 1], u16(1), u16(1)))).error).toMatchObject({
      kind: 'malformed',
      layer: 'dns',
    });
  });

  it('a message cut by the capture is truncated and keeps what was read', () => {
    const msg = concat(
      header(9, 0, 2, 0),
      dnsName('a.example'),
      u16(1),
      u16(1),
      dnsName('b.example'),
      u16(1),
      u16(1),
    );
    const full = eth(0x0800, ipv4(udp(msg, 40000, 53)));
    const d = decodePacket(raw(full.slice(0, full.length - 6), 1, full.length));
    expect(d.error).toMatchObject({ kind: 'truncated', layer: 'dns' });
    expect(d.hints?.dns?.questions).toEqual(['a.example']);
  });

  it('a count beyond the message is malformed (the UDP length says where it ends)', () => {
    const msg = concat(header(9, 0, 3, 0), dnsName('a.example'), u16(1), u16(1));
    const d = decodePacket(overUdp(msg));
    expect(d.error).toMatchObject({ kind: 'malformed', layer: 'dns' });
  });

  it('record data of the wrong length for its type is malformed', () => {
    const msg = concat(header(1, 0x8000, 0, 1), rr(dnsName('x'), 1, [1, 2, 3]));
    expect(decodePacket(overUdp(msg)).error).toMatchObject({ kind: 'malformed', layer: 'dns' });
  });

  it('hostile record counts are refused', () => {
    const msg = concat(header(1, 0x8000, 0, 60000), new Array<number>(20).fill(0));
    expect(decodePacket(overUdp(msg)).error).toMatchObject({ kind: 'malformed', layer: 'dns' });
  });

  it('DNS over TCP has a length prefix; LLMNR (5355) reads as DNS', () => {
    const msg = concat(header(3, 0x0100, 1, 0), dnsName('host.lan'), u16(1), u16(1));
    const d = decodePacket(
      raw(eth(0x0800, ipv4(tcp(concat(u16(msg.length), msg), 40000, 53), { proto: 6 }))),
    );
    expect(d.error).toBeNull();
    expect(d.hints?.dns?.questions).toEqual(['host.lan']);
    const llmnr = decodePacket(overUdp(msg, 50000, 5355));
    expect(llmnr.layers).toContain('dns');
    expect(llmnr.hints?.dns?.questions).toEqual(['host.lan']);
  });

  it('other ports are not read as DNS', () => {
    const msg = concat(header(3, 0x0100, 1, 0), dnsName('host.lan'), u16(1), u16(1));
    const d = decodePacket(overUdp(msg, 40000, 40001));
    expect(d.hints).toBeNull();
    expect(d.layers).toEqual(['eth', 'ipv4', 'udp']);
  });
});
