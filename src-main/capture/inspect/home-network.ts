/**
 * The local network inspect mode works on: this computer's address and MAC on the interface, the
 * subnet, the default gateway (the home router), and the addresses an ARP sweep asks about.
 * Linux only for now (the gateway comes from /proc/net/route, forwarding from /proc/sys).
 */
import { readFileSync } from 'node:fs';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { ipv4Number, ipv4Text } from './arp-frame.ts';

/** Inspect mode cannot run here or on this interface; the message says why. */
export class InspectError extends Error {
  override name = 'InspectError';
}

export interface HomeNetwork {
  iface: string;
  self: { mac: string; ip: string };
  /** Prefix length of the subnet (24 for 255.255.255.0). */
  prefix: number;
  /** The router: the interface's default gateway; null where it has none. */
  gatewayIp: string | null;
}

/** Subnets larger than this (a /20: 4094 addresses, 8 s at one request per 2 ms) are not swept. */
export const MAX_SWEEP_PREFIX = 20;
/** Milliseconds between two ARP requests of a sweep (IoT Inspector's pace). */
export const SWEEP_PACE_MS = 2;

/** The default gateway of `iface` in /proc/net/route's text (addresses in little-endian hex), or null. */
export function defaultGateway(routeTable: string, iface: string): string | null {
  for (const line of routeTable.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[0] !== iface || f[1] !== '00000000') continue;
    const flags = parseInt(f[3], 16);
    if ((flags & 0x1) === 0 || (flags & 0x2) === 0) continue; // RTF_UP and RTF_GATEWAY
    const le = parseInt(f[2], 16);
    if (!Number.isFinite(le) || le === 0) continue;
    return ipv4Text(
      (((le & 0xff) << 24) | (((le >>> 8) & 0xff) << 16) | (((le >>> 16) & 0xff) << 8) | (le >>> 24)) >>> 0,
    );
  }
  return null;
}

export interface NetworkFacts {
  platform: string;
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>;
  routeTable: () => string;
}

const systemFacts = (): NetworkFacts => ({
  platform: process.platform,
  interfaces: networkInterfaces(),
  routeTable: () => readFileSync('/proc/net/route', 'utf8'),
});

/** This computer's place on `iface`'s IPv4 network; throws InspectError with the reason where there is none. */
export function homeNetwork(iface: string, facts: NetworkFacts = systemFacts()): HomeNetwork {
  if (facts.platform !== 'linux')
    throw new InspectError(
      'inspect mode works on Linux for now; on this computer capture on the router instead (Capture ▸ From my router over SSH)',
    );
  const addresses = facts.interfaces[iface];
  if (addresses === undefined) throw new InspectError(`there is no interface "${iface}" on this computer`);
  const v4 = addresses.find((a) => a.family === 'IPv4' && !a.internal);
  if (v4 === undefined)
    throw new InspectError(`${iface} has no IPv4 address: connect it to the home network first`);
  if (v4.mac === '00:00:00:00:00:00')
    throw new InspectError(
      `${iface} has no MAC address (a tunnel or loopback): choose the Wi-Fi or Ethernet interface`,
    );
  const prefix = Number((v4.cidr ?? '').split('/')[1]);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32)
    throw new InspectError(`${iface}'s subnet mask ${v4.netmask} cannot be read`);
  let routes = '';
  try {
    routes = facts.routeTable();
  } catch {
    // no route table to read: no gateway known
  }
  return {
    iface,
    self: { mac: v4.mac.toLowerCase(), ip: v4.address },
    prefix,
    gatewayIp: defaultGateway(routes, iface),
  };
}

/** Whether `ip` is on `net`'s subnet. */
export function onSubnet(net: Pick<HomeNetwork, 'self' | 'prefix'>, ip: string): boolean {
  const mask = net.prefix === 0 ? 0 : (0xffffffff << (32 - net.prefix)) >>> 0;
  return (ipv4Number(ip) & mask) >>> 0 === (ipv4Number(net.self.ip) & mask) >>> 0;
}

/**
 * The addresses an ARP sweep asks about (every host address of the subnet but this computer's),
 * or the reason there is no sweep: subnets wider than /20 are left to passive discovery.
 */
export function sweepTargets(net: Pick<HomeNetwork, 'self' | 'prefix'>): string[] | string {
  if (net.prefix < MAX_SWEEP_PREFIX)
    return `the subnet (/${net.prefix}) is wider than /${MAX_SWEEP_PREFIX}: devices are found only as they talk, not by asking each address`;
  if (net.prefix >= 31) return [];
  const mask = (0xffffffff << (32 - net.prefix)) >>> 0;
  const base = (ipv4Number(net.self.ip) & mask) >>> 0;
  const size = 2 ** (32 - net.prefix);
  const out: string[] = [];
  for (let i = 1; i < size - 1; i++) {
    const ip = ipv4Text(base + i);
    if (ip !== net.self.ip) out.push(ip);
  }
  return out;
}

/**
 * Why inspect mode will not start when several MACs answer for the router's address: a second
 * router or mesh point on one subnet, or a program already redirecting traffic — inspect mode
 * cannot tell which is the router, and a wrong pick would cut the devices off.
 */
export function routerClaimed(ip: string, macs: readonly string[]): string {
  return (
    `${macs.length} devices answer for the router's address ${ip} (${macs.join(', ')}): a second router or ` +
    'mesh point, or another program already redirecting traffic. Inspect mode cannot tell which is the router, ' +
    'so it will not start; capture on the router itself instead'
  );
}
