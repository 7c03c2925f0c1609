import { spawn } from 'node:child_process';
/**
 * Live capture with real libpcap on the loopback interface: UDP datagrams this test sends come out
 * as RawPackets with the right sizes and link type, in order. Whether this process may capture
 * (root, or Node with the capture capabilities) is decided once, up front, by opening a capture on
 * loopback: the tests that capture run only when it may, and the test of the refusal (the source
 * says capturing is not permitted and how to grant it) only when it may not.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { LinkType, type CaptureError, type RawPacket } from '../../../src-main/capture/packet-source.ts';
import {
  capLoadAdvice,
  listInterfaces,
  LiveCaptureSource,
  permissionAdvice,
} from '../../../src-main/capture/live-capture.ts';
import { decodePacket } from '../../../src-main/decode/decode-packet.ts';

/** Null when this process may capture on loopback, else why it may not (tried once). */
function liveCaptureRefusal(): CaptureError | null {
  const probe = new LiveCaptureSource('lo', { filter: 'udp port 9' });
  const opened = probe.open();
  probe.stop();
  return opened ? null : probe.errors[0];
}

const refusal = liveCaptureRefusal();
if (refusal !== null) console.warn(`live capture not permitted here: ${refusal.message}`);
/** What a source on `name` says when this process may not capture. */
const permissionRefused = (name: string) =>
  new RegExp(
    `^${name}: capturing here is not permitted: install Wireshark's dumpcap .+; or give Node the capture rights once ` +
      String.raw`\(sudo setcap cap_net_raw,cap_net_admin=eip .+\), or run Telltale as root$`,
  );

const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

/** A UDP socket bound to a free loopback port: datagrams sent to that port are this test's only. */
async function receiver(): Promise<number> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket.address().port;
}

async function until(pred: () => boolean, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('live capture on loopback', () => {
  it('lists the loopback interface with its address, last', () => {
    const list = listInterfaces();
    const lo = list.find((i) => i.loopback);
    expect(lo).toBeDefined();
    expect(lo!.addresses).toContain('127.0.0.1');
    expect(list.at(-1)!.loopback).toBe(true);
    expect(lo!.sees).toMatch(/this computer only/);
  });

  it.skipIf(refusal !== null)('delivers the datagrams it sees, in order, with their sizes', async () => {
    const port = await receiver();
    const source = new LiveCaptureSource('lo', { filter: `udp port ${port}` });
    // libpcap sees what is sent once open() returns: no wait needed before sending
    expect(source.open()).toBe(true);
    const got: RawPacket[] = [];
    const reading = (async () => {
      for await (const batch of source.batches()) {
        got.push(...batch);
        if (got.length >= 3) source.stop();
      }
    })();
    const socket = createSocket('udp4');
    sockets.push(socket);
    for (const n of [10, 100, 1000]) socket.send(Buffer.alloc(n), port, '127.0.0.1');
    try {
      await until(() => got.length >= 3);
    } finally {
      source.stop();
      await reading;
    }
    expect(source.errors).toEqual([]);
    expect(got.map((p) => p.origLen)).toEqual([52, 142, 1042]);
    expect(got.map((p) => p.index)).toEqual([0, 1, 2]);
    expect(got.every((p) => p.linkType === LinkType.ETHERNET && p.bytes.length === p.caplen)).toBe(true);
    expect(Math.abs(got[0].ts - Date.now() / 1000)).toBeLessThan(10);
    const decoded = decodePacket(got[2]);
    expect([decoded.srcIp, decoded.dstPort, decoded.ipProto]).toEqual(['127.0.0.1', port, 17]);
    expect(source.stats).toMatchObject({ packets: 3, bytes: 52 + 142 + 1042, dropped: 0 });
  });

  it.skipIf(refusal !== null)(
    "stamps packets with libpcap's time of capture, not when JavaScript gets to them",
    async () => {
      const port = await receiver();
      const filter = `udp port ${port}`;
      const pcap = new LiveCaptureSource('lo', { filter });
      const wall = new LiveCaptureSource('lo', { filter, clock: 'wall-clock' });
      expect(pcap.open() && wall.open()).toBe(true);
      const read = async (source: LiveCaptureSource, into: RawPacket[]) => {
        for await (const batch of source.batches()) {
          into.push(...batch);
          if (into.length >= 3) source.stop();
        }
      };
      const byPcap: RawPacket[] = [];
      const byWall: RawPacket[] = [];
      const reading = Promise.all([read(pcap, byPcap), read(wall, byWall)]);
      // another process sends three datagrams 150 ms apart while this one is busy for 700 ms:
      // they reach JavaScript together, but libpcap stamped each when it came
      const sender = spawn('bash', [
        '-c',
        `for i in 1 2 3; do echo $i > /dev/udp/127.0.0.1/${port}; sleep 0.15; done`,
      ]);
      const busyUntil = Date.now() + 700;
      while (Date.now() < busyUntil) {
        // the event loop is held, as a busy engine holds it
      }
      try {
        await until(() => byPcap.length >= 3 && byWall.length >= 3);
      } finally {
        pcap.stop();
        wall.stop();
        sender.kill();
        await reading;
      }
      expect(pcap.timestamps).toBe('libpcap');
      expect(wall.timestamps).toBe('wall-clock');
      const gaps = (p: RawPacket[]) => [p[1].ts - p[0].ts, p[2].ts - p[1].ts];
      for (const g of gaps(byPcap)) expect(Math.abs(g - 0.15)).toBeLessThan(0.05);
      for (const g of gaps(byWall)) expect(g).toBeLessThan(0.02);
      expect(pcap.stats.dropped).toBe(0);
    },
  );

  it.skipIf(refusal !== null)(
    'reports an interface that does not exist, and a filter that does not parse',
    async () => {
      for (const [name, filter, kind, pattern] of [
        ['no-such-if0', '', 'io', /^no-such-if0: cannot capture: \S/],
        ['lo', 'udp port', 'malformed', /^lo: capture filter "udp port": \S/],
      ] as const) {
        const source = new LiveCaptureSource(name, { filter });
        for await (const _ of source.batches()) throw new Error('no packets expected');
        expect(source.errors).toHaveLength(1);
        expect(source.errors[0]).toMatchObject({ kind, fatal: true, source: name });
        expect(source.errors[0].message).toMatch(pattern);
      }
    },
  );

  it.runIf(refusal?.kind === 'permission')(
    'says capturing is not permitted and how to get the right, before it looks at the interface or filter',
    async () => {
      for (const [name, filter] of [
        ['lo', 'udp port 9'],
        ['lo', 'udp port'],
        ['no-such-if0', ''],
      ] as const) {
        const source = new LiveCaptureSource(name, { filter });
        for await (const _ of source.batches()) throw new Error('no packets expected');
        expect(source.errors).toHaveLength(1);
        expect(source.errors[0]).toMatchObject({ kind: 'permission', fatal: true, source: name });
        expect(source.errors[0].message).toMatch(permissionRefused(name));
        expect(source.stats).toMatchObject({ packets: 0, bytes: 0 });
      }
    },
  );
});

describe('what Telltale says when live capture cannot work', () => {
  it('never tells the desktop app’s users to setcap Electron, and says how each runtime gets capture rights', () => {
    const electron = permissionAdvice('41.10.0', 'linux', '/opt/Telltale/telltale');
    expect(electron).toMatch(/tcpdump -i IFACE -w home\.pcap/);
    expect(electron).toMatch(/Do not setcap the Electron binary/);
    expect(electron).not.toContain('/opt/Telltale/telltale');
    // the way without root for the app: dumpcap and the wireshark group
    expect(electron).toMatch(/usermod -aG wireshark/);
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
