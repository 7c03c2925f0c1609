/**
 * What the decoder makes of one RawPacket: a flat record (cheap to fill on the hot path) plus the
 * list of layers it managed to read. The dispatcher never throws; the first problem is in `error`.
 */
import type { RawPacket } from '../capture/packet-source.ts';

export type LayerName =
  | 'eth'
  | 'sll'
  | 'sll2'
  | 'loopback'
  | 'vlan'
  | 'arp'
  | 'ipv4'
  | 'ipv6'
  | 'tcp'
  | 'udp'
  | 'icmp'
  | 'icmpv6'
  | 'dns'
  | 'mdns'
  | 'dhcp'
  | 'ssdp'
  | 'tls'
  | 'http';

export interface DecodeError {
  /** truncated: the bytes end before the structure does (snap length, cut file). malformed: a field is impossible. */
  kind: 'truncated' | 'malformed';
  layer: LayerName;
  /** Byte offset within the packet where decoding of `layer` failed. */
  offset: number;
  message: string;
}

/** IP protocol numbers we name. */
export const IpProto = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 } as const;

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20 } as const;

export interface DnsRecord {
  name: string;
  /** RR type number (1 A, 28 AAAA, 12 PTR, 33 SRV, 16 TXT, 5 CNAME, ...). */
  type: number;
  /** Text form: address for A/AAAA, target name for PTR/CNAME/SRV ("target:port" for SRV), joined strings for TXT. */
  data: string;
}

export interface DnsHint {
  id: number;
  response: boolean;
  /** Query names in the question section. */
  questions: string[];
  /** Answer, authority and additional records. */
  answers: DnsRecord[];
}

export interface DhcpHint {
  /** DHCP message type (option 53): 1 DISCOVER, 3 REQUEST, 5 ACK, ... */
  messageType: number;
  clientMac: string;
  /** yiaddr, the address being assigned (offer / ack). */
  yourIp: string | null;
  hostname: string | null; // option 12
  vendorClass: string | null; // option 60
  paramList: number[] | null; // option 55
  requestedIp: string | null; // option 50
  router: string | null; // option 3, first address
  subnetMask: string | null; // option 1
}

export interface SsdpHint {
  /** Request method ("M-SEARCH", "NOTIFY") or "HTTP/1.1 200 OK" for a response. */
  startLine: string;
  server: string | null;
  usn: string | null;
  location: string | null;
  /** ST or NT header. */
  target: string | null;
}

export interface HttpHint {
  method: string;
  path: string;
  host: string | null;
  userAgent: string | null;
}

export interface AppHints {
  dns?: DnsHint; // also used for mDNS (layer says which)
  dhcp?: DhcpHint;
  ssdp?: SsdpHint;
  /** TLS ClientHello server_name. */
  sni?: string;
  http?: HttpHint;
}

export interface DecodedPacket {
  raw: RawPacket;
  /** Layers read, outermost first. */
  layers: LayerName[];
  error: DecodeError | null;

  /** Lower-case "aa:bb:cc:dd:ee:ff", or null when the link layer carries no MAC (raw IP, loopback). */
  srcMac: string | null;
  dstMac: string | null;
  /** EtherType of the network layer after any VLAN tags (0x0800, 0x86dd, 0x0806), or 0. */
  etherType: number;
  /** VLAN IDs, outermost first; empty when untagged. */
  vlanIds: number[];

  /** 4, 6, or 0 when there is no IP layer. */
  ipVersion: 0 | 4 | 6;
  /** Text addresses ("192.168.4.2", "fe80::1"), or null. */
  srcIp: string | null;
  dstIp: string | null;
  /** IPv4 addresses as unsigned 32-bit numbers (for fast scope tests), or -1 when not IPv4. */
  srcIpv4: number;
  dstIpv4: number;
  /** IP protocol / IPv6 upper-layer next header (after extension headers), or -1. */
  ipProto: number;
  ttl: number;
  /** IPv4 fragment: offset in bytes and the more-fragments flag; non-first fragments carry no transport header. */
  fragmentOffset: number;
  moreFragments: boolean;

  /** TCP / UDP ports, or -1. */
  srcPort: number;
  dstPort: number;
  /** TCP flag bits (TcpFlag), 0 otherwise. */
  tcpFlags: number;
  /** ICMP / ICMPv6 type and code, or -1. */
  icmpType: number;
  icmpCode: number;
  /** Offset and length (within the captured bytes) of the transport payload; length 0 when none captured. */
  payloadOffset: number;
  payloadLength: number;

  /** ARP sender/target, when the packet is ARP. */
  arp: { op: number; senderMac: string; senderIp: string; targetMac: string; targetIp: string } | null;

  /** Application-layer hints for naming devices; null when none. */
  hints: AppHints | null;
}
