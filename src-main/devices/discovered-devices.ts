/**
 * The devices an inspect-mode discovery found, with what the inventory can say of each from the
 * frames heard meanwhile (maker from the MAC, names from DHCP and mDNS): what the person chooses
 * from before anything is redirected.
 */
import { ipv4Number } from '../capture/inspect/arp-frame.ts';
import type { Discovery } from '../capture/inspect/discovery.ts';
import { LinkType } from '../capture/packet-source.ts';
import { decodePacket } from '../decode/decode-packet.ts';
import type { DiscoveredDevice } from '../shared/inspect-mode.ts';
import { DeviceInventory } from './device-inventory.ts';

/**
 * `found`'s hosts as the person sees them, the router first, then by address; `userNames`: the
 * names the person gave (by MAC).
 */
export function describeDiscovery(
  found: Discovery,
  gatewayIp: string | null,
  userNames: ReadonlyMap<string, string> = new Map(),
): DiscoveredDevice[] {
  const inventory = new DeviceInventory();
  for (const [mac, name] of userNames) inventory.setUserName(mac, name);
  found.frames.forEach(({ frame, ts }, index) => {
    inventory.observe(
      decodePacket({
        ts,
        caplen: frame.length,
        origLen: frame.length,
        linkType: LinkType.ETHERNET,
        bytes: frame,
        index,
      }),
    );
  });
  const out = found.hosts.map((h): DiscoveredDevice => {
    const record = inventory.get(h.mac);
    const user = userNames.get(h.mac);
    const heard = record?.names.some((n) => n.source === 'dhcp-hostname' || n.source.startsWith('mdns-'));
    return {
      mac: h.mac,
      ip: h.ip,
      vendor: record?.vendorText ?? 'unknown vendor',
      name: user ?? (heard === true && record !== undefined ? record.displayName : null),
      role: h.ip === gatewayIp ? 'router' : 'device',
    };
  });
  return out.sort(
    (a, b) =>
      Number(b.role === 'router') - Number(a.role === 'router') || ipv4Number(a.ip) - ipv4Number(b.ip),
  );
}
