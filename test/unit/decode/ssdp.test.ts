import { describe, expect, it } from 'vitest';
import { decodePacket } from '../../../src-main/decode/decode-packet.ts';
import { ascii, eth, ipv4, raw, udp } from './frames.ts';

const ssdp = (text: string, sport = 1900, dport = 1900): ReturnType<typeof raw> =>
  raw(eth(0x0800, ipv4(udp(ascii(text), sport, dport), { dst: '239.255.255.250' })));

describe('SSDP', () => {
  it('reads a NOTIFY with case-insensitive headers', () => {
    const d = decodePacket(
      ssdp(
        'NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nlocation:  http://192.168.4.9:49152/setup.xml \r\n' +
          'Nt: urn:Belkin:device:controllee:1\r\nNTS: ssdp:alive\r\nserver: Linux/2.6 UPnP/1.0 Belkin/1.0\r\n' +
          'usn: uuid:Socket-1_0::urn:Belkin:device:controllee:1\r\n\r\n',
      ),
    );
    expect(d.error).toBeNull();
    expect(d.layers).toEqual(['eth', 'ipv4', 'udp', 'ssdp']);
    expect(d.hints?.ssdp).toEqual({
      startLine: 'NOTIFY',
      server: 'Linux/2.6 UPnP/1.0 Belkin/1.0',
      usn: 'uuid:Socket-1_0::urn:Belkin:device:controllee:1',
      location: 'http://192.168.4.9:49152/setup.xml',
      target: 'urn:Belkin:device:controllee:1',
    });
  });

  it('reads an M-SEARCH and a response (LF line ends)', () => {
    const search = decodePacket(
      ssdp('M-SEARCH * HTTP/1.1\nST: ssdp:all\nMAN: "ssdp:discover"\n\n', 50000, 1900),
    );
    expect(search.hints?.ssdp).toMatchObject({ startLine: 'M-SEARCH', target: 'ssdp:all', server: null });
    const reply = decodePacket(
      ssdp('HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\nSERVER: x\r\n\r\n', 1900, 50000),
    );
    expect(reply.hints?.ssdp).toMatchObject({
      startLine: 'HTTP/1.1 200 OK',
      target: 'upnp:rootdevice',
      server: 'x',
    });
  });

  it('a payload that is not an SSDP message is malformed', () => {
    const d = decodePacket(raw(eth(0x0800, ipv4(udp([0, 1, 2, 3, 0x20, 5], 1900, 1900)))));
    expect(d.error).toMatchObject({ kind: 'malformed', layer: 'ssdp' });
    expect(d.hints).toBeNull();
  });

  it('stops after a bounded number of header lines', () => {
    const d = decodePacket(ssdp('NOTIFY * HTTP/1.1\r\n' + 'X: y\r\n'.repeat(100) + 'SERVER: late\r\n\r\n'));
    expect(d.error).toBeNull();
    expect(d.hints?.ssdp?.server).toBeNull();
  });
});
