import { describe, expect, it } from 'vitest';
import {
  ARP_REPLY,
  arpFrame,
  macBytes,
  parseArpFrame,
} from '../../../../src-main/capture/inspect/arp-frame.ts';
import { confirmHosts, discover, DISCOVERY_FILTER } from '../../../../src-main/capture/inspect/discovery.ts';
import { inspectPlan } from '../../../../src-main/capture/inspect/inspect-capture.ts';

const SELF = { ip: '192.168.1.50', mac: '02:00:00:00:00:50' };
const NET = { iface: 'wlan0', self: SELF, prefix: 24, gatewayIp: '192.168.1.1' };

/** An mDNS announcement from `mac` / `ip` (Ethernet + IPv4 + UDP 5353, no payload needed here). */
function mdnsFrom(mac: string, ip: string): Uint8Array {
  const f = new Uint8Array(42);
  f.set(macBytes('01:00:5e:00:00:fb'), 0);
  f.set(macBytes(mac), 6);
  f[12] = 0x08;
  f[14] = 0x45;
  f[23] = 17;
  f.set(ip.split('.').map(Number), 26);
  f.set([224, 0, 0, 251], 30);
  return f;
}

describe('discovery', () => {
  it('asks every address of the subnet once, paced, and finds who answers or announces itself', async () => {
    const sent: Uint8Array[] = [];
    let hear: (frame: Uint8Array, ts: number) => void = () => undefined;
    let filter = '';
    let closed = false;
    const found = await discover(
      NET,
      (f, onFrame) => {
        filter = f;
        hear = onFrame;
        return {
          send: (frame) => {
            sent.push(frame);
            const asked = parseArpFrame(frame)?.targetIp;
            // the router and the plug answer; the camera ignores ARP but announces itself over mDNS
            const answer = { '192.168.1.1': '02:00:00:00:00:01', '192.168.1.20': '02:00:00:00:00:20' }[
              asked ?? ''
            ];
            if (answer !== undefined)
              hear(
                arpFrame({
                  etherSrc: answer,
                  etherDst: SELF.mac,
                  op: ARP_REPLY,
                  senderMac: answer,
                  senderIp: asked ?? '',
                  targetMac: SELF.mac,
                  targetIp: SELF.ip,
                }),
                1,
              );
            if (asked === '192.168.1.100') hear(mdnsFrom('02:00:00:00:00:21', '192.168.1.21'), 2);
            // a stray from another subnet, and a DHCP probe from 0.0.0.0: not hosts here
            if (asked === '192.168.1.101') {
              hear(mdnsFrom('02:00:00:00:00:33', '10.0.0.7'), 3);
              hear(mdnsFrom('02:00:00:00:00:34', '0.0.0.0'), 3);
            }
          },
          close: () => {
            closed = true;
          },
        };
      },
      { listenMs: 50 },
    );
    expect(filter).toBe(DISCOVERY_FILTER);
    expect(found.asked).toBe(253);
    expect(sent.map((f) => parseArpFrame(f)?.targetIp)).not.toContain(SELF.ip);
    expect(found.hosts).toEqual([
      { ip: '192.168.1.1', mac: '02:00:00:00:00:01' },
      { ip: '192.168.1.20', mac: '02:00:00:00:00:20' },
      { ip: '192.168.1.21', mac: '02:00:00:00:00:21' },
    ]);
    expect(found.noSweep).toBeNull();
    expect(closed).toBe(true);
  });

  it('only listens on a subnet wider than /20, and says so', async () => {
    const sent: Uint8Array[] = [];
    const found = await discover(
      { ...NET, prefix: 16 },
      () => ({ send: (f) => sent.push(f), close: () => undefined }),
      {
        listenMs: 10,
      },
    );
    expect(sent).toHaveLength(0);
    expect(found.noSweep).toMatch(/wider than \/20/);
  });
});

/** ARP replies for each asked address from the MACs `answers` gives it (several: a conflict). */
function answering(answers: Record<string, string[]>) {
  return (_filter: string, onFrame: (frame: Uint8Array, ts: number) => void) => ({
    send: (frame: Uint8Array) => {
      const asked = parseArpFrame(frame)?.targetIp ?? '';
      for (const mac of answers[asked] ?? [])
        onFrame(
          arpFrame({
            etherSrc: mac,
            etherDst: SELF.mac,
            op: ARP_REPLY,
            senderMac: mac,
            senderIp: asked,
            targetMac: SELF.mac,
            targetIp: SELF.ip,
          }),
          1,
        );
    },
    close: () => undefined,
  });
}

describe('the router and the chosen devices, each one MAC', () => {
  const router = { ip: '192.168.1.1', mac: '02:00:00:00:00:01' };
  const plug = { ip: '192.168.1.20', mac: '02:00:00:00:00:20' };
  const other = '02:00:00:00:00:99';

  it('plans nothing when two MACs answered for the router during discovery', () => {
    expect(
      () => inspectPlan(NET, { hosts: [router, plug] }, [plug.mac], '/run/x.json').gateway,
    ).not.toThrow();
    expect(() =>
      inspectPlan(NET, { hosts: [router, plug, { ip: router.ip, mac: other }] }, [plug.mac], '/run/x.json'),
    ).toThrow(
      `2 devices answer for the router's address 192.168.1.1 (02:00:00:00:00:01, ${other}): a second router or mesh point`,
    );
  });

  it('refuses to start when the router or a device answers from two MACs just before it starts', async () => {
    await expect(
      confirmHosts(NET, router, [plug], answering({ [router.ip]: [router.mac], [plug.ip]: [plug.mac] }), 20),
    ).resolves.toBeUndefined();
    await expect(
      confirmHosts(
        NET,
        router,
        [plug],
        answering({ [router.ip]: [router.mac, other], [plug.ip]: [plug.mac] }),
        20,
      ),
    ).rejects.toThrow(/2 devices answer for the router's address 192\.168\.1\.1 .*will not start/);
    await expect(
      confirmHosts(
        NET,
        router,
        [plug],
        answering({ [router.ip]: [router.mac], [plug.ip]: [other, plug.mac] }),
        20,
      ),
    ).rejects.toThrow(
      `192.168.1.20 answers from 2 devices (${other}, 02:00:00:00:00:20), an address conflict: inspect mode will not redirect it`,
    );
  });
});
