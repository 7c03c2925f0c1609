/**
 * Finding the devices on the local network before anything is redirected: an ARP sweep of the
 * subnet, paced (one request per `SWEEP_PACE_MS`; none above /`MAX_SWEEP_PREFIX`), while
 * listening for ARP, DHCP and mDNS — so devices that do not answer ARP but talk are found too.
 * Only asks; changes nothing. The frames heard are returned for the caller to read names from.
 */
import { ipv4NumberAt, ipv4Text, macText, parseArpFrame, whoHas, ZERO_MAC } from './arp-frame.ts';
import {
  InspectError,
  onSubnet,
  routerClaimed,
  SWEEP_PACE_MS,
  sweepTargets,
  type HomeNetwork,
} from './home-network.ts';
import type { OpenFrameLink } from './arp-redirector.ts';
import type { Host } from './restore-record.ts';

export interface Discovery {
  /** Hosts that announced or answered, by MAC (an address each; the latest seen). */
  hosts: Host[];
  /** Every frame heard (ARP, DHCP, mDNS), with its time in seconds, for names. */
  frames: { frame: Uint8Array; ts: number }[];
  /** Why no sweep was made (the subnet is too wide), or null. */
  noSweep: string | null;
  /** Addresses asked about. */
  asked: number;
}

/** Frames discovery listens to. */
export const DISCOVERY_FILTER = 'arp or (udp and (port 67 or port 68 or port 5353))';
/** The most frames kept for names (the rest are still read for ARP). */
const MAX_FRAMES = 5000;

/**
 * The host a frame tells of: an ARP sender, or the sender of an IPv4 packet (DHCP, mDNS: a device
 * that ignores ARP requests from strangers still announces itself).
 */
function hostOf(frame: Uint8Array): Host | null {
  const arp = parseArpFrame(frame);
  if (arp !== null) return { ip: arp.senderIp, mac: arp.senderMac };
  if (frame.length < 34 || frame[12] !== 0x08 || frame[13] !== 0x00 || frame[14] >> 4 !== 4) return null;
  if ((frame[6] & 1) === 1) return null; // a group address cannot send
  return { ip: ipv4Text(ipv4NumberAt(frame, 26)), mac: macText(frame, 6) };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sweeps and listens on `net`'s interface; `listenMs` after the last request (default 3000).
 * `shouldStop` ends it early.
 */
export async function discover(
  net: HomeNetwork,
  open: (filter: string, onFrame: (frame: Uint8Array, ts: number) => void) => ReturnType<OpenFrameLink>,
  options: { listenMs?: number; shouldStop?: () => boolean } = {},
): Promise<Discovery> {
  const hosts = new Map<string, Host>();
  const frames: Discovery['frames'] = [];
  const link = open(DISCOVERY_FILTER, (frame, ts) => {
    if (frames.length < MAX_FRAMES) frames.push({ frame, ts });
    const heard = hostOf(frame);
    if (heard === null || heard.mac === net.self.mac || heard.mac === ZERO_MAC) return;
    if (heard.ip === '0.0.0.0' || !onSubnet(net, heard.ip)) return; // probes, and strays
    hosts.set(heard.mac, heard);
  });
  const targets = sweepTargets(net);
  let asked = 0;
  try {
    if (typeof targets !== 'string') {
      for (const ip of targets) {
        if (options.shouldStop?.() === true) break;
        link.send(whoHas(ip, net.self));
        asked++;
        await sleep(SWEEP_PACE_MS);
      }
    }
    const until = Date.now() + (options.listenMs ?? 3000);
    while (Date.now() < until && options.shouldStop?.() !== true) await sleep(100);
  } finally {
    link.close();
  }
  return {
    hosts: [...hosts.values()],
    frames,
    noSweep: typeof targets === 'string' ? targets : null,
    asked,
  };
}

/**
 * Asks each of `hosts` again, just before a session starts, and throws an InspectError when an
 * address now answers from another MAC (a lease handed on since the list was made: redirecting
 * it would catch a device nobody chose), from more than one (an address conflict, or for the
 * router a second router or another program redirecting traffic), or the router does not answer.
 * A device that does not answer is left in (it may be asleep, or ignore ARP).
 */
export async function confirmHosts(
  net: HomeNetwork,
  gateway: Host,
  hosts: readonly Host[],
  open: (filter: string, onFrame: (frame: Uint8Array, ts: number) => void) => ReturnType<OpenFrameLink>,
  waitMs = 1500,
): Promise<void> {
  const answers = new Map<string, Set<string>>();
  const link = open('arp', (frame) => {
    const m = parseArpFrame(frame);
    if (m === null || m.senderMac === net.self.mac) return;
    const macs = answers.get(m.senderIp) ?? new Set<string>();
    macs.add(m.senderMac);
    answers.set(m.senderIp, macs);
  });
  const all = [gateway, ...hosts];
  try {
    for (const h of all) {
      link.send(whoHas(h.ip, net.self));
      await sleep(SWEEP_PACE_MS);
    }
    const until = Date.now() + waitMs;
    while (Date.now() < until && !all.every((h) => answers.has(h.ip))) await sleep(50);
  } finally {
    link.close();
  }
  for (const h of all) {
    const macs = answers.get(h.ip);
    if (macs === undefined) {
      if (h === gateway)
        throw new InspectError(
          `the router (${h.ip}) does not answer now: check that ${net.iface} is still on the home network`,
        );
      continue;
    }
    if (!macs.has(h.mac))
      throw new InspectError(
        `${h.ip} now answers from ${[...macs].join(', ')}, not ${h.mac} as when the devices were listed: look for devices again`,
      );
    if (macs.size > 1)
      throw new InspectError(
        h === gateway
          ? routerClaimed(h.ip, [...macs])
          : `${h.ip} answers from ${macs.size} devices (${[...macs].join(', ')}), an address conflict: inspect mode will not redirect it`,
      );
  }
}
