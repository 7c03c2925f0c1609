/**
 * Inspect mode as both sides see it: the devices found on the local network, and the request
 * that redirects some of them through this computer. The rules a request must follow are here
 * so the UI and the engine apply the same ones.
 */

export interface DiscoveredDevice {
  mac: string;
  ip: string;
  /** Maker from the MAC's registry block, or a note that the MAC is randomised. */
  vendor: string;
  /** A name it gave itself (DHCP, mDNS) or the person gave it; null when none is known. */
  name: string | null;
  /** The router is never inspected. */
  role: 'router' | 'device';
}

export interface InspectDiscovery {
  interface: string;
  /** This computer on that network: never inspected. */
  self: { ip: string; mac: string };
  /** The subnet, e.g. "192.168.1.0/24". */
  subnet: string;
  gatewayIp: string | null;
  devices: DiscoveredDevice[];
  /** Why the subnet was not swept (too wide), or null. */
  noSweep: string | null;
  /** Addresses asked about, and how long finding them took. */
  asked: number;
  seconds: number;
}

export interface InspectRequest {
  interface: string;
  /** MAC addresses of the devices the person ticked (from a discovery). */
  devices: string[];
  /** The person read the consent page and confirmed they own or administer this network. */
  consent: boolean;
}

/** The most devices one inspect session takes. */
export const MAX_INSPECTED_DEVICES = 64;

/** What inspect mode does, in the words the consent page and the command line show. */
export const INSPECT_CONSENT = [
  'Inspect mode makes this computer sit between the devices you choose and your router, so it sees their internet traffic: it tells them (and the router) that this computer is the other, and passes everything on.',
  'Your network may slow down a little while it runs, and some routers or security tools flag it as an attack (it uses the same trick, ARP spoofing).',
  'Only use it on a network you own or administer.',
  'Nothing leaves this computer: the packets are analysed here and passed on unchanged.',
  'When you stop — or if Telltale is closed or crashes — the devices and the router are told their true addresses again and this computer stops forwarding.',
] as const;
