import { describe, expect, it } from 'vitest';
import { decodePacket } from '../../../src-main/decode/decode-packet.ts';
import { ascii, concat, eth, ipv4, raw, tcp, u16 } from './frames.ts';

const u24 = (v: number): number[] => [(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
const ext = (type: number, body: number[]): number[] => concat(u16(type), u16(body.length), body);

function serverName(host: string): number[] {
  const entry = concat([0], u16(host.length), ascii(host));
  return ext(0, concat(u16(entry.length), entry));
}

/** A ClientHello record with the given extensions (in order). */
function clientHello(extensions: number[][]): number[] {
  const exts = concat(...extensions);
  const body = concat(
    [3, 3],
    new Array<number>(32).fill(7), // random
    [32],
    new Array<number>(32).fill(1), // session id
    u16(4),
    [0x13, 0x01, 0x13, 0x02],
    [1, 0],
    u16(exts.length),
    exts,
  );
  const hs = concat([1], u24(body.length), body);
  return concat([0x16, 3, 1], u16(hs.length), hs);
}

const padding = ext(21, new Array<number>(300).fill(0));
const overTcp = (payload: number[], origLen?: number): ReturnType<typeof raw> => {
  const frame = eth(0x0800, ipv4(tcp(payload, 50000, 443), { proto: 6 }));
  return raw(frame, 1, origLen);
};

describe('TLS ClientHello SNI', () => {
  it('finds server_name after other extensions', () => {
    const d = decodePacket(overTcp(clientHello([ext(10, [0, 2, 0, 29]), serverName('a1.tuyaeu.com')])));
    expect(d.error).toBeNull();
    expect(d.layers).toEqual(['eth', 'ipv4', 'tcp', 'tls']);
    expect(d.hints?.sni).toBe('a1.tuyaeu.com');
  });

  it('a ClientHello without SNI gives no hint', () => {
    const d = decodePacket(overTcp(clientHello([padding])));
    expect(d.error).toBeNull();
    expect(d.layers).toContain('tls');
    expect(d.hints).toBeNull();
  });

  it('a ClientHello cut by the segment still yields the SNI when it is within the bytes', () => {
    const hello = clientHello([serverName('example.org'), padding]);
    const d = decodePacket(overTcp(hello.slice(0, hello.length - 200)));
    expect(d.error).toBeNull();
    expect(d.hints?.sni).toBe('example.org');
  });

  it('SNI in the next segment: no hint and no error', () => {
    const hello = clientHello([padding, serverName('example.org')]);
    const d = decodePacket(overTcp(hello.slice(0, 120)));
    expect(d.error).toBeNull();
    expect(d.hints).toBeNull();
  });

  it('SNI cut off by the snap length is truncated', () => {
    const hello = clientHello([padding, serverName('example.org')]);
    const frame = eth(0x0800, ipv4(tcp(hello, 50000, 443), { proto: 6 }));
    const d = decodePacket(raw(frame.slice(0, 14 + 20 + 20 + 120), 1, frame.length));
    expect(d.error).toMatchObject({ kind: 'truncated', layer: 'tls' });
    expect(d.hints).toBeNull();
  });

  it('an extension longer than its list is malformed', () => {
    const hello = clientHello([serverName('example.org')]);
    // The server_name extension length sits right after its type, 4 bytes into the extension list.
    const extStart = hello.length - serverName('example.org').length;
    hello[extStart + 2] = 0x10;
    const d = decodePacket(overTcp(hello));
    expect(d.error).toMatchObject({ kind: 'malformed', layer: 'tls' });
  });

  it('other records and TLS data are left alone', () => {
    const appData = decodePacket(overTcp([0x17, 3, 3, 0, 5, 1, 2, 3, 4, 5]));
    expect(appData.layers).toEqual(['eth', 'ipv4', 'tcp']);
    const serverHello = decodePacket(overTcp([0x16, 3, 3, 0, 5, 2, 0, 0, 1, 0]));
    expect(serverHello.layers).toEqual(['eth', 'ipv4', 'tcp']);
  });
});
