/**
 * Ethernet + ARP frames for inspect mode (RFC 826 over Ethernet II), built and read with bounds
 * checks. Addresses travel as text ("aa:bb:cc:dd:ee:ff", "192.168.1.20"); every builder checks
 * them and throws on a malformed one, since a wrong byte here poisons the wrong cache.
 */

export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV4 = 0x0800;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
/** Ethernet's minimum frame without the FCS: ARP frames are padded to it. */
const MIN_FRAME = 60;
export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
export const ZERO_MAC = '00:00:00:00:00:00';

/** A MAC address as six bytes; throws on anything else. */
export function macBytes(mac: string): Uint8Array {
  const parts = mac.trim().toLowerCase().split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-f]{2}$/.test(p)))
    throw new Error(`"${mac}" is not a MAC address`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function macText(bytes: Uint8Array, at = 0): string {
  const out: string[] = [];
  for (let i = 0; i < 6; i++) out.push(bytes[at + i].toString(16).padStart(2, '0'));
  return out.join(':');
}

/** A dotted IPv4 address as a 32-bit unsigned number; throws on anything else. */
export function ipv4Number(ip: string): number {
  const parts = ip.trim().split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255))
    throw new Error(`"${ip}" is not an IPv4 address`);
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function ipv4Text(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** The IPv4 address at `at` in `bytes`, as a 32-bit unsigned number (no string: per-packet use). */
export function ipv4NumberAt(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

function ipv4At(bytes: Uint8Array, at: number): string {
  return ipv4Text(ipv4NumberAt(bytes, at));
}

/** The MAC address at `at` in `bytes` as a number (48 bits fit a double exactly; no string). */
export function macNumberAt(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 8) | bytes[at + 1]) * 2 ** 32 + ipv4NumberAt(bytes, at + 2);
}

export interface ArpMessage {
  /** The Ethernet header's addresses. */
  etherSrc: string;
  etherDst: string;
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

/** One Ethernet II frame carrying `m` (padded to 60 bytes). */
export function arpFrame(m: ArpMessage): Uint8Array {
  const frame = new Uint8Array(MIN_FRAME);
  const view = new DataView(frame.buffer);
  frame.set(macBytes(m.etherDst), 0);
  frame.set(macBytes(m.etherSrc), 6);
  view.setUint16(12, ETHERTYPE_ARP);
  view.setUint16(14, 1); // hardware: Ethernet
  view.setUint16(16, ETHERTYPE_IPV4);
  frame[18] = 6;
  frame[19] = 4;
  view.setUint16(20, m.op);
  frame.set(macBytes(m.senderMac), 22);
  view.setUint32(28, ipv4Number(m.senderIp));
  frame.set(macBytes(m.targetMac), 32);
  view.setUint32(38, ipv4Number(m.targetIp));
  return frame;
}

/** The ARP message an Ethernet frame carries, or null (not ARP for IPv4 over Ethernet, or cut short). */
export function parseArpFrame(frame: Uint8Array): ArpMessage | null {
  if (frame.length < 42) return null;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (view.getUint16(12) !== ETHERTYPE_ARP) return null;
  if (view.getUint16(14) !== 1 || view.getUint16(16) !== ETHERTYPE_IPV4) return null;
  if (frame[18] !== 6 || frame[19] !== 4) return null;
  return {
    etherDst: macText(frame, 0),
    etherSrc: macText(frame, 6),
    op: view.getUint16(20),
    senderMac: macText(frame, 22),
    senderIp: ipv4At(frame, 28),
    targetMac: macText(frame, 32),
    targetIp: ipv4At(frame, 38),
  };
}

/**
 * "`ip` is at `mac`", sent by this computer (`from`) to one host (`to`) in the gratuitous form
 * (sender and target address both `ip`, target hardware address `mac`). Linux takes a
 * gratuitous reply at once, where an ordinary one is ignored for a second (`locktime`) after the
 * entry last changed — which matters when a restore follows a redirect closely.
 */
export function announce(ip: string, mac: string, from: string, to: { mac: string }): Uint8Array {
  return arpFrame({
    etherSrc: from,
    etherDst: to.mac,
    op: ARP_REPLY,
    senderMac: mac,
    senderIp: ip,
    targetMac: mac,
    targetIp: ip,
  });
}

/** "Who has `ip`? Tell `self`", broadcast. */
export function whoHas(ip: string, self: { mac: string; ip: string }): Uint8Array {
  return arpFrame({
    etherSrc: self.mac,
    etherDst: BROADCAST_MAC,
    op: ARP_REQUEST,
    senderMac: self.mac,
    senderIp: self.ip,
    targetMac: ZERO_MAC,
    targetIp: ip,
  });
}
