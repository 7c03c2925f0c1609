/**
 * Turning the names a device reveals (DHCP, mDNS / DNS-SD, SSDP) into something a person can read,
 * and choosing the best one to show.
 */
import type { DeviceName, NameSource } from './device-record.ts';

/** DNS-SD service-type enumeration name (RFC 6763 §9): its PTR data are service types, not instances. */
export const DNS_SD_SERVICES = '_services._dns-sd._udp.local';

/** True when `name` is a DNS-SD service type or subtype ("_googlecast._tcp.local", "_x._sub._http._tcp.local"). */
export function isServiceTypeName(name: string): boolean {
  return name.charCodeAt(0) === 95; /* _ */
}

/** True for a reverse-mapping name ("4.4.168.192.in-addr.arpa", "….ip6.arpa"). */
export function isReverseName(name: string): boolean {
  return name.endsWith('.arpa');
}

/** Host part of SRV data as the decoder writes it ("target:port"). */
export function srvTarget(data: string): string {
  const colon = data.lastIndexOf(':');
  return colon < 0 ? data : data.slice(0, colon);
}

/**
 * The user-visible part of a DNS-SD instance name (RFC 6763 §4.1 `<Instance>.<Service>.<Domain>`):
 * "Living Room._googlecast._tcp.local" → "Living Room".
 */
export function instanceLabel(name: string): string {
  const cut = name.indexOf('._');
  return cut > 0 ? name.slice(0, cut) : hostLabel(name);
}

/** A host name without its ".local" (or trailing dot): "Google-Home-Mini.local" → "Google-Home-Mini". */
export function hostLabel(name: string): string {
  let end = name.length;
  if (name.endsWith('.')) end--;
  const trimmed = name.slice(0, end);
  return trimmed.toLowerCase().endsWith('.local') ? trimmed.slice(0, -6) : trimmed;
}

/** Sources in the order a display name prefers them, before the vendor. */
const PREFERRED: readonly NameSource[] = ['user', 'dhcp-hostname', 'mdns-instance', 'mdns-host'];
/** Sources tried after the vendor. */
const FALLBACK: readonly NameSource[] = ['dhcp-vendor-class', 'ssdp-server'];

/**
 * Host names that say nothing about the device (interface names, defaults of embedded Linux and
 * SDKs); seen in real captures, e.g. Tuya plugs send "wlan0" as their DHCP host name.
 */
const GENERIC_HOST_NAMES = new Set([
  'wlan0',
  'eth0',
  'localhost',
  'unknown',
  '(none)',
  'none',
  'espressif',
  'host',
]);

/** True for a host name that does not tell devices apart ("wlan0", "localhost", …). */
export function isGenericHostName(name: string): boolean {
  return GENERIC_HOST_NAMES.has(name.trim().toLowerCase());
}

/** The name of `source` seen in the most packets (latest on a tie), or null. */
function bestOf(names: readonly DeviceName[], source: NameSource): DeviceName | null {
  let best: DeviceName | null = null;
  for (const n of names) {
    if (n.source !== source) continue;
    if (source !== 'user' && isGenericHostName(readable(n))) continue;
    if (best === null || n.count > best.count || (n.count === best.count && n.lastSeen > best.lastSeen))
      best = n;
  }
  return best;
}

/** Readable text for a name of a given source. */
function readable(name: DeviceName): string {
  if (name.source === 'mdns-instance') return instanceLabel(name.name);
  if (name.source === 'mdns-host') return hostLabel(name.name);
  return name.name;
}

/**
 * The best name to show for a device: a user-given name, its DHCP host name, its mDNS instance or
 * host name, its vendor with the last two octets of the MAC, its DHCP vendor class or SSDP server
 * string, and finally the MAC itself.
 */
export function chooseDisplayName(mac: string, vendor: string | null, names: readonly DeviceName[]): string {
  for (const source of PREFERRED) {
    const best = bestOf(names, source);
    if (best !== null) {
      const text = readable(best).trim();
      if (text !== '') return text;
    }
  }
  if (vendor !== null) return `${vendor} (${mac.slice(12)})`;
  for (const source of FALLBACK) {
    const best = bestOf(names, source);
    if (best !== null && best.name.trim() !== '') return best.name.trim();
  }
  return mac;
}
