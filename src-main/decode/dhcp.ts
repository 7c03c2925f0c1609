/**
 * DHCP / BOOTP decoder (RFC 2131 §2 fixed header, RFC 2132 options). Reads the client hardware
 * address, the assigned address and the options that name or fingerprint a device. Option
 * overload (RFC 2132 §9.3) and long-option concatenation (RFC 3396) are not followed.
 */
import type { DhcpHint } from './decoded-packet.ts';
import { readU32, type ByteReader } from './byte-reader.ts';
import { byteText, ipv4Text, macText } from './address-text.ts';

/** op … file: the fixed BOOTP header (RFC 2131 §2, figure 1). */
const BOOTP_HEADER = 236;
const OFFSET_YIADDR = 16;
const OFFSET_CHADDR = 28;
/** RFC 2132 §2: 99.130.83.99 starts the options. */
const MAGIC_COOKIE = 0x63825363;

const OPT_PAD = 0;
const OPT_SUBNET_MASK = 1;
const OPT_ROUTER = 3;
const OPT_HOSTNAME = 12;
const OPT_REQUESTED_IP = 50;
const OPT_MESSAGE_TYPE = 53;
const OPT_PARAM_LIST = 55;
const OPT_VENDOR_CLASS = 60;
const OPT_END = 255;

/**
 * Decodes the BOOTP message at `r.pos` up to `r.end`. Returns null when the fixed header is not
 * there; otherwise the hint, with the options read before any failure (recorded in `r`).
 */
export function decodeDhcp(r: ByteReader): DhcpHint | null {
  if (!r.need(BOOTP_HEADER, 'BOOTP header')) return null;
  const b = r.bytes;
  const p = r.pos;
  const op = b[p];
  if (op !== 1 && op !== 2) {
    r.malformed(`BOOTP op ${op} is neither request nor reply`, p);
    return null;
  }
  const yiaddr = readU32(b, p + OFFSET_YIADDR);
  const hint: DhcpHint = {
    messageType: 0,
    clientMac: macText(b, p + OFFSET_CHADDR),
    yourIp: yiaddr === 0 ? null : ipv4Text(b, p + OFFSET_YIADDR),
    hostname: null,
    vendorClass: null,
    paramList: null,
    requestedIp: null,
    router: null,
    subnetMask: null,
  };
  r.pos = p + BOOTP_HEADER;
  if (r.remaining() < 4 || readU32(b, r.pos) !== MAGIC_COOKIE) return hint; // plain BOOTP
  r.pos += 4;
  readOptions(r, hint);
  return hint;
}

/** Walks the tag-length-value options until END or the end of the message. */
function readOptions(r: ByteReader, hint: DhcpHint): void {
  const b = r.bytes;
  while (r.pos < r.end) {
    const code = b[r.pos];
    if (code === OPT_END) return;
    if (code === OPT_PAD) {
      r.pos++;
      continue;
    }
    if (!r.need(2, 'DHCP option')) return;
    const len = b[r.pos + 1];
    const start = r.pos + 2;
    if (!r.need(2 + len, 'DHCP option')) return;
    if (!readOption(r, hint, code, start, len)) return;
    r.pos = start + len;
  }
}

/** Stores one option in the hint; false (with a failure recorded) for an impossible length. */
function readOption(r: ByteReader, hint: DhcpHint, code: number, start: number, len: number): boolean {
  const b = r.bytes;
  switch (code) {
    case OPT_MESSAGE_TYPE:
      if (len !== 1) return r.malformed(`DHCP message type option of length ${len}`, start - 2);
      if (hint.messageType === 0) hint.messageType = b[start];
      return true;
    case OPT_HOSTNAME:
      hint.hostname ??= byteText(b, start, start + len);
      return true;
    case OPT_VENDOR_CLASS:
      hint.vendorClass ??= byteText(b, start, start + len);
      return true;
    case OPT_PARAM_LIST:
      if (hint.paramList === null) {
        const list: number[] = [];
        for (let i = 0; i < len; i++) list.push(b[start + i]);
        hint.paramList = list;
      }
      return true;
    case OPT_REQUESTED_IP:
    case OPT_SUBNET_MASK:
      if (len !== 4) return r.malformed(`DHCP option ${code} of length ${len}`, start - 2);
      if (code === OPT_REQUESTED_IP) hint.requestedIp ??= ipv4Text(b, start);
      else hint.subnetMask ??= ipv4Text(b, start);
      return true;
    case OPT_ROUTER:
      // One or more addresses; the first is the default gateway.
      if (len < 4 || len % 4 !== 0) return r.malformed(`DHCP router option of length ${len}`, start - 2);
      hint.router ??= ipv4Text(b, start);
      return true;
    default:
      return true;
  }
}
