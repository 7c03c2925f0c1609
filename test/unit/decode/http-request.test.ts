import { describe, expect, it } from 'vitest';
import { decodePacket } from '../../../src-main/decode/decode-packet.ts';
import { ascii, eth, ipv4, raw, tcp } from './frames.ts';

const overTcp = (text: string, dport = 80): ReturnType<typeof raw> =>
  raw(eth(0x0800, ipv4(tcp(ascii(text), 50000, dport), { proto: 6 })));

describe('HTTP request', () => {
  it('reads method, path, Host and User-Agent on any port', () => {
    const d = decodePacket(
      overTcp(
        'GET /api/v1/status?x=1 HTTP/1.1\r\nhost: 192.168.4.1:8080\r\nUSER-AGENT: Roku/DVP-9.10\r\nAccept: */*\r\n\r\n',
        8060,
      ),
    );
    expect(d.error).toBeNull();
    expect(d.layers).toEqual(['eth', 'ipv4', 'tcp', 'http']);
    expect(d.hints?.http).toEqual({
      method: 'GET',
      path: '/api/v1/status?x=1',
      host: '192.168.4.1:8080',
      userAgent: 'Roku/DVP-9.10',
    });
  });

  it('a request whose headers continue in the next segment keeps what it has', () => {
    const d = decodePacket(overTcp('POST /upload HTTP/1.1\r\nHost: cloud.example\r\nUser-Ag'));
    expect(d.hints?.http).toEqual({
      method: 'POST',
      path: '/upload',
      host: 'cloud.example',
      userAgent: null,
    });
    expect(d.error).toBeNull();
  });

  it('responses, unknown methods and non-HTTP payloads give no hint', () => {
    for (const text of ['HTTP/1.1 200 OK\r\n\r\n', 'GETX / HTTP/1.1\r\n', 'GET /nohttpversion\r\n', 'Poke']) {
      const d = decodePacket(overTcp(text));
      expect(d.hints).toBeNull();
      expect(d.error).toBeNull();
      expect(d.layers).toEqual(['eth', 'ipv4', 'tcp']);
    }
  });
});
