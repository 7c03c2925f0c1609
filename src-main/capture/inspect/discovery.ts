/**
 * Finding the devices on the local network before anything is redirected: an ARP sweep of the
 * subnet, paced (one request per `SWEEP_PACE_MS`; none above /`MAX_SWEEP_PREFIX`), while
 * listening for ARP, DHCP and mDNS — so devices that do not answer ARP but talk are found too.
 * Only asks; changes nothing. The frames heard are returned for the caller to read names from.
 */
import { parseArpFrame, whoHas, ZERO_MAC } from './arp-frame.ts';
import { onSubnet, SWEEP_PACE_MS, sweepTargets, type HomeNetwork } from './home-network.ts';
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
    const m = parseArpFrame(frame);
    if (m === null || m.senderMac === net.self.mac || m.senderMac === ZERO_MAC) return;
    if (m.senderIp === '0.0.0.0' || !onSubnet(net, m.senderIp)) return; // probes, and strays
    hosts.set(m.senderMac, { ip: m.senderIp, mac: m.senderMac });
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
