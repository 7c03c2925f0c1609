/**
 * Packets that show a device awake but never count toward making it busy (activity-tracker.ts).
 *
 *  - **Network plumbing**: frames that are not IP (ARP, the Wi-Fi handshake EAPOL, LLDP), ICMP /
 *    ICMPv6, DHCP and DNS (also over TLS; DNS over HTTPS looks like any other HTTPS and counts).
 *    They carry nothing of their own; they join the network, find a neighbour, lease an address,
 *    look up a name or report an error for the connections the device makes, and those connections'
 *    own packets are counted. Counted, they made devices that could not get out busy for hours: in
 *    MADEA the Amazon plug, the Blink camera, the Ring doorbell and the Ultraloq lock retry their
 *    blocked clouds all night with a name lookup every few seconds (the lock rejoining the Wi-Fi as
 *    well).
 *  - **Refusals and the attempts they refuse**: a TCP reset carrying no data, or ICMP "destination
 *    unreachable", answering the device's connection attempt (a bare TCP SYN, or a datagram) sent
 *    at most `REFUSAL_SECONDS` before. Nothing was exchanged; a device whose cloud is blocked, down
 *    or gone retries for as long as that lasts, which tells an observer it cannot get out, not
 *    that anyone is using it.
 *
 * Told only from what the observer sees: the LAN and the ISP behind the router see protocols,
 * ports and TCP flags; a VPN carrier sees the tunnel's datagrams only, so callers for that view
 * never ask (audit/view-log.ts). Memory: one remembered attempt per device key, at most MAX_KEYS.
 */
import { IpProto, TcpFlag } from '../decode/decoded-packet.ts';
import type { ViewPacket } from '../views/view-packet.ts';

/** How long after an attempt its refusal may come (a round trip to a far server, with margin). */
export const REFUSAL_SECONDS = 3;

/** Devices remembered at most (a home has far fewer; past this, attempts are forgotten). */
const MAX_KEYS = 4096;

/** The tracker's mark for a packet that counts toward busy volume (ActivityTracker.push). */
export const COUNTED = -1;
/** The mark of network plumbing: no volume. (A refusal's mark is ≥ 0: the bytes it takes back.) */
export const PLUMBING = -2;

const { ICMP, TCP, ICMPV6 } = IpProto;
const ICMP_UNREACHABLE = 3;
const ICMPV6_UNREACHABLE = 1;
/** DNS, DHCP (server, client), DHCPv6 (client, server), DNS over TLS. */
const PLUMBING_PORTS: ReadonlySet<number> = new Set([53, 67, 68, 546, 547, 853]);

/** True for network plumbing: frames that are not IP, ICMP / ICMPv6, DHCP (v4 and v6) and DNS (also over TLS, port 853). */
export function isPlumbing(vp: ViewPacket): boolean {
  if (vp.ipProto < 0 || vp.ipProto === ICMP || vp.ipProto === ICMPV6) return true;
  return PLUMBING_PORTS.has(vp.localPort) || PLUMBING_PORTS.has(vp.remotePort);
}

/** True when a packet to a device refuses something it sent: a TCP reset carrying no data, or ICMP(v6) destination unreachable. */
export function isRefusal(vp: ViewPacket): boolean {
  const inner = vp.inner;
  if (vp.ipProto === TCP)
    return (vp.tcpFlags & TcpFlag.RST) !== 0 && (inner === null || inner.payloadLength === 0);
  if (inner === null) return false;
  if (vp.ipProto === ICMP) return inner.icmpType === ICMP_UNREACHABLE;
  if (vp.ipProto === ICMPV6) return inner.icmpType === ICMPV6_UNREACHABLE;
  return false;
}

/** True when a packet a device sends is an attempt a refusal may answer: a bare TCP SYN, or an IP datagram that is not TCP or ICMP. */
export function isAttempt(vp: ViewPacket): boolean {
  if (vp.ipProto === TCP) return (vp.tcpFlags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN;
  return vp.ipProto >= 0 && vp.ipProto !== ICMP && vp.ipProto !== ICMPV6;
}

/**
 * Marks each packet of a device for ActivityTracker.push: COUNTED; PLUMBING; or, for a refusal, ≥ 0:
 * the bytes of the counted attempt it refuses (0 for none) to take back out of the volume.
 */
export class UncountedPackets<K> {
  /** Per device key: its latest counted attempt not yet refused. */
  private readonly attempts = new Map<K, { ts: number; size: number }>();

  /** The mark of a packet device `key` sent. */
  sent(key: K, vp: ViewPacket): number {
    const attempt = isAttempt(vp);
    if (isPlumbing(vp)) {
      // a refusal after this answers it (a name lookup), and it was never counted
      if (attempt) this.attempts.delete(key);
      return PLUMBING;
    }
    if (attempt) {
      if (this.attempts.size >= MAX_KEYS && !this.attempts.has(key)) this.attempts.clear();
      this.attempts.set(key, { ts: vp.ts, size: vp.size });
    }
    return COUNTED;
  }

  /** The mark of a packet device `key` received; a refusal uses up the attempt it answers. */
  received(key: K, vp: ViewPacket): number {
    if (!isRefusal(vp)) return isPlumbing(vp) ? PLUMBING : COUNTED;
    const a = this.attempts.get(key);
    if (a === undefined) return 0;
    this.attempts.delete(key);
    return vp.ts >= a.ts && vp.ts - a.ts <= REFUSAL_SECONDS ? a.size : 0;
  }

  /** Forgets every device. */
  clear(): void {
    this.attempts.clear();
  }
}
