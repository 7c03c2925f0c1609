/**
 * Live capture with real libpcap on the loopback interface: UDP datagrams this test sends come out
 * as RawPackets with the right sizes and link type, in order. Without the right to capture (not
 * root, no capabilities), the source must say so and how to grant it — that branch is what runs
 * then.
 */
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { LinkType, type RawPacket } from '../../../src-main/capture/packet-source.ts';
import {
  capLoadAdvice,
  listInterfaces,
  LiveCaptureSource,
  permissionAdvice,
} from '../../../src-main/capture/live-capture.ts';
import { decodePacket } from '../../../src-main/decode/decode-packet.ts';

const PORT = 47_000 + (process.pid % 900);

describe('live capture on loopback', () => {
  it('lists the loopback interface with its address, last', () => {
    const list = listInterfaces();
    const lo = list.find((i) => i.loopback);
    expect(lo).toBeDefined();
    expect(lo!.addresses).toContain('127.0.0.1');
    expect(list.at(-1)!.loopback).toBe(true);
    expect(lo!.sees).toMatch(/this computer only/);
  });

  it('delivers the datagrams it sees, or says how to get the right to capture', async () => {
    const lo = listInterfaces().find((i) => i.loopback)!;
    const source = new LiveCaptureSource(lo.name, { filter: `udp port ${PORT}` });
    const got: RawPacket[] = [];
    const reading = (async () => {
      for await (const batch of source.batches()) {
        got.push(...batch);
        if (got.length >= 3) source.stop();
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    if (source.errors.length > 0) {
      source.stop();
      await reading;
      expect(source.errors[0]).toMatchObject({ kind: 'permission', fatal: true });
      expect(source.errors[0].message).toMatch(
        /^lo: capturing here is not permitted: give Node the capture rights once \(sudo setcap cap_net_raw/,
      );
      return;
    }
    const socket = createSocket('udp4');
    for (const n of [10, 100, 1000]) socket.send(Buffer.alloc(n), PORT, '127.0.0.1');
    const t0 = Date.now();
    while (got.length < 3 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    socket.close();
    source.stop();
    await reading;
    expect(got.map((p) => p.origLen)).toEqual([52, 142, 1042]);
    expect(got.map((p) => p.index)).toEqual([0, 1, 2]);
    expect(got.every((p) => p.linkType === LinkType.ETHERNET && p.bytes.length === p.caplen)).toBe(true);
    expect(Math.abs(got[0].ts - Date.now() / 1000)).toBeLessThan(10);
    const decoded = decodePacket(got[2]);
    expect([decoded.srcIp, decoded.dstPort, decoded.ipProto]).toEqual(['127.0.0.1', PORT, 17]);
    expect(source.stats).toMatchObject({ packets: 3, bytes: 52 + 142 + 1042, dropped: 0 });
  });

  it('reports an interface that does not exist, and a filter that does not parse', async () => {
    for (const [name, filter, pattern] of [
      ['no-such-if0', '', /^no-such-if0: (cannot capture|capturing here is not permitted)/],
      ['lo', 'udp port', /^lo: (capture filter "udp port"|capturing here is not permitted)/],
    ] as const) {
      const source = new LiveCaptureSource(name, { filter });
      for await (const _ of source.batches()) throw new Error('no packets expected');
      expect(source.errors).toHaveLength(1);
      expect(source.errors[0].fatal).toBe(true);
      expect(source.errors[0].message).toMatch(pattern);
    }
  });
});

describe('what Telltale says when live capture cannot work', () => {
  it('never tells the desktop app’s users to setcap Electron, and says how each runtime gets capture rights', () => {
    const electron = permissionAdvice('41.10.0', 'linux', '/opt/Telltale/telltale');
    expect(electron).toMatch(/tcpdump -i IFACE -w home\.pcap/);
    expect(electron).toMatch(/Do not setcap the Electron binary/);
    expect(electron).not.toContain('/opt/Telltale/telltale');
    const node = permissionAdvice(undefined, 'linux', '/usr/bin/node');
    expect(node).toContain('sudo setcap cap_net_raw,cap_net_admin=eip /usr/bin/node');
    expect(permissionAdvice(undefined, 'darwin')).toMatch(/\/dev\/bpf/);
    expect(permissionAdvice(undefined, 'win32')).toMatch(/Npcap/);
  });

  it('keeps the whole loader message and names the rebuild for the runtime that failed', () => {
    const abi =
      "The module '/x/cap/build/Release/cap.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 115. This version of Node.js requires\nNODE_MODULE_VERSION 139.";
    const inApp = capLoadAdvice(abi, '41.10.0');
    expect(inApp).toContain(
      'NODE_MODULE_VERSION 115. This version of Node.js requires NODE_MODULE_VERSION 139',
    );
    expect(inApp).toContain('npx electron-builder install-app-deps');
    expect(inApp).toMatch(/capture live again after npm rebuild cap/);
    expect(inApp).not.toContain('npm ci');
    expect(capLoadAdvice(abi, undefined)).toMatch(/built for the desktop app, not for Node.*npm rebuild cap/);
    expect(capLoadAdvice('libpcap.so.0.8: cannot open shared object file', undefined)).toMatch(
      /libpcap.so.0.8: cannot open shared object file.*apt-get install libpcap-dev/,
    );
  });
});
