/**
 * Text forms of link and network addresses, interned through small bounded caches so that the
 * hot path reuses one string per address instead of building a new one per packet.
 *
 * * MAC: lower-case "aa:bb:cc:dd:ee:ff" (as tshark prints eth.src).
 * * IPv4: dotted quad.
 * * IPv6: RFC 5952 §4 text (lower-case hex, no leading zeros, the longest run of two or more
 *   zero groups compressed to "::", the first run on a tie), with IPv4-mapped and
 *   IPv4-compatible addresses in mixed notation as glibc's inet_ntop writes them (RFC 5952 §5);
 *   that is what tshark prints.
 *
 * The caches are bounded: the IPv4 map is cleared when it reaches its size limit; the MAC and
 * IPv6 caches are direct-mapped (a new address simply replaces the slot's old one).
 */

const MAX_CACHED = 4096;

const ipv4Cache = new Map<number, string>();

const HEX2: string[] = [];
for (let i = 0; i < 256; i++) HEX2.push(i.toString(16).padStart(2, '0'));

// Direct-mapped MAC cache: slot i holds the address as two int32 halves and its text. Keys stay
// small integers (no heap-allocated double per lookup, which a 48-bit Map key would cost).
const MAC_SLOTS = 4096;
const macHi = new Int32Array(MAC_SLOTS);
const macLo = new Int32Array(MAC_SLOTS);
const macTexts: (string | null)[] = new Array<string | null>(MAC_SLOTS).fill(null);

/** Interned MAC address text for `b[off, off+6)`; the caller has checked the bounds. */
export function macText(b: Uint8Array, off: number): string {
  const hi = (b[off] << 8) | b[off + 1];
  const lo = (b[off + 2] << 24) | (b[off + 3] << 16) | (b[off + 4] << 8) | b[off + 5];
  const slot = (Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> 20) & (MAC_SLOTS - 1);
  const cached = macTexts[slot];
  if (cached !== null && macHi[slot] === hi && macLo[slot] === lo) return cached;
  const text =
    HEX2[b[off]] +
    ':' +
    HEX2[b[off + 1]] +
    ':' +
    HEX2[b[off + 2]] +
    ':' +
    HEX2[b[off + 3]] +
    ':' +
    HEX2[b[off + 4]] +
    ':' +
    HEX2[b[off + 5]];
  macHi[slot] = hi;
  macLo[slot] = lo;
  macTexts[slot] = text;
  return text;
}

/** Interned dotted-quad text for the IPv4 address at `b[off, off+4)`; the caller has checked the bounds. */
export function ipv4Text(b: Uint8Array, off: number): string {
  // A signed 32-bit key stays a small integer in the Map (an unsigned one above 2^31 would not).
  const key = (b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3];
  let text = ipv4Cache.get(key);
  if (text === undefined) {
    text = `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
    if (ipv4Cache.size >= MAX_CACHED) ipv4Cache.clear();
    ipv4Cache.set(key, text);
  }
  return text;
}

// Direct-mapped IPv6 cache: slot i holds the 16 address bytes at keys[16*i] and its text at texts[i].
const V6_SLOTS = 1024;
const v6Keys = new Uint8Array(V6_SLOTS * 16);
const v6Texts: (string | null)[] = new Array<string | null>(V6_SLOTS).fill(null);

/** Interned RFC 5952 text for the IPv6 address at `b[off, off+16)`; the caller has checked the bounds. */
export function ipv6Text(b: Uint8Array, off: number): string {
  // FNV-1a over the 16 bytes picks the slot.
  let h = 0x811c9dc5;
  for (let i = 0; i < 16; i++) h = Math.imul(h ^ b[off + i], 0x01000193);
  const slot = (h >>> 0) & (V6_SLOTS - 1);
  const base = slot * 16;
  const cached = v6Texts[slot];
  if (cached !== null) {
    let same = true;
    for (let i = 0; i < 16; i++) {
      if (v6Keys[base + i] !== b[off + i]) {
        same = false;
        break;
      }
    }
    if (same) return cached;
  }
  const text = formatIpv6(b, off);
  for (let i = 0; i < 16; i++) v6Keys[base + i] = b[off + i];
  v6Texts[slot] = text;
  return text;
}

/** RFC 5952 text of the IPv6 address at `b[off, off+16)` (not interned). */
export function formatIpv6(b: Uint8Array, off: number): string {
  // Find the longest run of zero 16-bit groups (first on a tie); runs of one are not compressed (§4.2.2).
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let g = 0; g < 8; g++) {
    const zero = b[off + 2 * g] === 0 && b[off + 2 * g + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = g;
      const len = g - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
    }
  }
  if (bestLen < 2) bestStart = -1;

  // Mixed notation for ::a.b.c.d (compatible, deprecated) and ::ffff:a.b.c.d (mapped), as glibc's inet_ntop.
  const embedV4 =
    bestStart === 0 && (bestLen === 6 || (bestLen === 5 && b[off + 10] === 0xff && b[off + 11] === 0xff));

  let out = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      out += g === 0 ? '::' : ':';
      g += bestLen - 1;
      continue;
    }
    if (embedV4 && g === 6) {
      out += `${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
      break;
    }
    out += ((b[off + 2 * g] << 8) | b[off + 2 * g + 1]).toString(16);
    if (g < 7) out += ':';
  }
  return out;
}

const utf8 = new TextDecoder('utf-8');

/**
 * Text of `b[start, end)`: a plain loop for ASCII (the common case), UTF-8 with replacement
 * characters otherwise. Trailing NUL bytes (common in DHCP strings) are dropped.
 */
export function byteText(b: Uint8Array, start: number, end: number): string {
  while (end > start && b[end - 1] === 0) end--;
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (b[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (!ascii) return utf8.decode(b.subarray(start, end));
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]);
  return s;
}
