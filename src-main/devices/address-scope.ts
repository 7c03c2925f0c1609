/**
 * Small, allocation-free classifiers for link and network addresses in their text forms
 * (the forms `decode/address-text.ts` writes: lower-case "aa:bb:cc:dd:ee:ff", dotted-quad IPv4,
 * RFC 5952 IPv6). Used on the packet path by the device inventory and the observer views.
 *
 * "Public" means globally routable: an address an ISP or VPN carrier could see on the far side of
 * the home router. Everything else (RFC 1918, CGNAT, loopback, link-local, multicast, broadcast,
 * unspecified, unique-local, reserved) is "local". Documentation prefixes (RFC 5737 TEST-NETs,
 * RFC 3849 2001:db8::/32) are deliberately treated as public, so that synthetic captures that use
 * them for "internet" servers behave like real ones.
 */

/** Scope of an IP address. Numbers, so the packet path compares small integers. */
export const IpScope = {
  INVALID: 0,
  PUBLIC: 1,
  /** RFC 1918 (10/8, 172.16/12, 192.168/16). */
  PRIVATE: 2,
  /** RFC 6598 shared address space 100.64.0.0/10. */
  CGNAT: 3,
  /** 127/8, ::1. */
  LOOPBACK: 4,
  /** 169.254/16 (RFC 3927), fe80::/10 (RFC 4291 §2.5.6). */
  LINK_LOCAL: 5,
  /** fc00::/7 (RFC 4193). */
  UNIQUE_LOCAL: 6,
  /** 224/4, ff00::/8. */
  MULTICAST: 7,
  /** 255.255.255.255. */
  BROADCAST: 8,
  /** 0.0.0.0/8 (RFC 1122 §3.2.1.3 "this host on this network"), ::. */
  UNSPECIFIED: 9,
  /** 240/4 (class E) and IPv6 outside 2000::/3 that is none of the above. */
  RESERVED: 10,
} as const;
export type IpScope = (typeof IpScope)[keyof typeof IpScope];

/**
 * Parses dotted-quad text into an unsigned 32-bit number, or returns -1 when the text is not
 * exactly four decimal octets (0–255, at most three digits each).
 */
export function parseIpv4(text: string): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits === 3) return -1;
      octet = octet * 10 + (c - 48);
      if (octet > 255) return -1;
      digits++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

/** Scope of an IPv4 address given as an unsigned 32-bit number (RFC 6890 special-purpose registry). */
export function ipv4ScopeOf(addr: number): IpScope {
  const a = addr >>> 24;
  const b = (addr >>> 16) & 0xff;
  if (a === 0) return IpScope.UNSPECIFIED;
  if (a === 10) return IpScope.PRIVATE;
  if (a === 127) return IpScope.LOOPBACK;
  if (a === 172 && (b & 0xf0) === 16) return IpScope.PRIVATE;
  if (a === 192 && b === 168) return IpScope.PRIVATE;
  if (a === 169 && b === 254) return IpScope.LINK_LOCAL;
  if (a === 100 && (b & 0xc0) === 64) return IpScope.CGNAT;
  if (a >= 224 && a <= 239) return IpScope.MULTICAST;
  if (addr === 0xffffffff) return IpScope.BROADCAST;
  if (a >= 240) return IpScope.RESERVED;
  return IpScope.PUBLIC;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/**
 * Scope of IPv6 text. Reads only the first group (and, for addresses starting with "::", the rest),
 * so it expects well-formed text such as the decoder writes; text with no ':' is INVALID.
 * IPv4-mapped addresses (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) take the scope of their IPv4 address.
 */
export function ipv6Scope(text: string): IpScope {
  const n = text.length;
  if (n < 2) return IpScope.INVALID;
  if (text.charCodeAt(0) === 58 /* : */) {
    if (text.charCodeAt(1) !== 58) return IpScope.INVALID;
    if (n === 2) return IpScope.UNSPECIFIED;
    if (text === '::1') return IpScope.LOOPBACK;
    if (n > 7 && text.startsWith('::ffff:')) {
      const v4 = parseIpv4(text.slice(7));
      return v4 < 0 ? IpScope.RESERVED : ipv4ScopeOf(v4);
    }
    return IpScope.RESERVED;
  }
  let group = 0;
  let i = 0;
  for (; i < n && i < 5; i++) {
    const c = text.charCodeAt(i);
    if (c === 58) break;
    const v = hexValue(c);
    if (v < 0) return IpScope.INVALID;
    group = (group << 4) | v;
  }
  if (i === 0 || i > 4 || i === n || text.charCodeAt(i) !== 58) return IpScope.INVALID;
  if ((group & 0xffc0) === 0xfe80) return IpScope.LINK_LOCAL;
  if ((group & 0xfe00) === 0xfc00) return IpScope.UNIQUE_LOCAL;
  if ((group & 0xff00) === 0xff00) return IpScope.MULTICAST;
  // RFC 4291 §2.4: global unicast is currently allocated from 2000::/3.
  if ((group & 0xe000) === 0x2000) return IpScope.PUBLIC;
  return IpScope.RESERVED;
}

/** Scope of an IPv4 or IPv6 address in text form, parsed every time; INVALID for anything else. */
export function computeIpScope(text: string): IpScope {
  const v4 = parseIpv4(text);
  if (v4 >= 0) return ipv4ScopeOf(v4);
  return ipv6Scope(text);
}

/** Addresses whose scope is remembered; the cache is emptied when it reaches this size. */
const MAX_CACHED_SCOPES = 8192;
const scopeCache = new Map<string, IpScope>();

/**
 * Scope of an IPv4 or IPv6 address in text form; INVALID for anything else. Remembers the answer
 * in a small bounded cache: the decoder interns address text, so a lookup (whose string hash V8
 * keeps in the string) costs a fraction of parsing it again (~15 ns against ~70 ns measured).
 */
export function ipScope(text: string): IpScope {
  let scope = scopeCache.get(text);
  if (scope === undefined) {
    scope = computeIpScope(text);
    if (scopeCache.size >= MAX_CACHED_SCOPES) scopeCache.clear();
    scopeCache.set(text, scope);
  }
  return scope;
}

/** True when `text` is a globally routable IPv4 or IPv6 address (what "remote" means in Telltale). */
export function isPublicIp(text: string): boolean {
  return ipScope(text) === IpScope.PUBLIC;
}

/** True for a scope that can be a host's own unicast address (worth remembering for a device). */
export function isHostAddressScope(scope: IpScope): boolean {
  return (
    scope === IpScope.PUBLIC ||
    scope === IpScope.PRIVATE ||
    scope === IpScope.CGNAT ||
    scope === IpScope.LINK_LOCAL ||
    scope === IpScope.UNIQUE_LOCAL
  );
}

// ---------------------------------------------------------------------------------------------
// MAC addresses (IEEE 802-2014 §8.2: bit 0 of the first octet is I/G, bit 1 is U/L)

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';

/** Value of the first octet's low nibble, read from the second character of the text. */
function firstOctetLowNibble(mac: string): number {
  return hexValue(mac.charCodeAt(1));
}

/** True when the I/G bit is set: multicast or broadcast, never one device. */
export function isGroupMac(mac: string): boolean {
  const nibble = firstOctetLowNibble(mac);
  return nibble >= 0 && (nibble & 1) === 1;
}

/** True when the U/L bit is set: the address was assigned locally (typically a randomised MAC). */
export function isLocallyAdministeredMac(mac: string): boolean {
  const nibble = firstOctetLowNibble(mac);
  return nibble >= 0 && (nibble & 2) === 2;
}

/** True for canonical text "aa:bb:cc:dd:ee:ff" (lower-case hex, colons). */
export function isCanonicalMac(mac: string): boolean {
  if (mac.length !== 17) return false;
  for (let i = 0; i < 17; i++) {
    const c = mac.charCodeAt(i);
    if (i % 3 === 2) {
      if (c !== 58) return false;
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) {
      return false;
    }
  }
  return true;
}

/**
 * True when `mac` can name one device: canonical text, unicast (I/G bit clear) and not all zeros.
 */
export function isDeviceMac(mac: string): boolean {
  return isCanonicalMac(mac) && !isGroupMac(mac) && mac !== '00:00:00:00:00:00';
}

/**
 * Canonical lower-case colon form of a MAC written with ':' or '-' or '.' separators (or none),
 * in either case, with surrounding white space; null when it is not 12 hex digits.
 * Meant for input from people and files, not the packet path.
 */
export function normalizeMac(text: string): string | null {
  const trimmed = text.trim();
  let hex = '';
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed.charCodeAt(i);
    if (c === 58 || c === 45 || c === 46) continue;
    if (hexValue(c) < 0) return null;
    hex += trimmed[i];
  }
  if (hex.length !== 12) return null;
  // Separators, when present, must split the digits into pairs (aa:bb:…) or Cisco quads (aabb.ccdd.eeff).
  if (trimmed.length !== 12 && !/^[0-9a-f]{2}([:-])(?:[0-9a-f]{2}\1){4}[0-9a-f]{2}$/i.test(trimmed)) {
    if (!/^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/i.test(trimmed)) return null;
  }
  const lower = hex.toLowerCase();
  return `${lower.slice(0, 2)}:${lower.slice(2, 4)}:${lower.slice(4, 6)}:${lower.slice(6, 8)}:${lower.slice(8, 10)}:${lower.slice(10, 12)}`;
}
