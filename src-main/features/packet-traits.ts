/**
 * What a plaintext observer (LAN sniffer, ISP) can tell about a packet's protocols and ports,
 * in the coarse classes the feature vector uses. Cheap checks only: this runs per packet.
 */
import { IpProto, type DecodedPacket, type LayerName } from '../decode/decoded-packet.ts';

/** Remote-port classes, in the order of the remote_port_* features. */
export const PortClass = {
  HTTPS: 0,
  HTTP: 1,
  DNS: 2,
  NTP: 3,
  MQTT: 4,
  FCM: 5,
  OTHER_WELL_KNOWN: 6,
  REGISTERED: 7,
  EPHEMERAL: 8,
  NONE: 9,
} as const;
export type PortClass = (typeof PortClass)[keyof typeof PortClass];

/** Class of a port (RFC 6335 §6 ranges: well-known 0–1023, registered 1024–49151, dynamic 49152–65535). */
export function portClass(port: number): PortClass {
  switch (port) {
    case 443:
      return PortClass.HTTPS;
    case 80:
      return PortClass.HTTP;
    case 53:
      return PortClass.DNS;
    case 123:
      return PortClass.NTP;
    case 1883: // MQTT (IANA)
    case 8883: // MQTT over TLS (IANA)
      return PortClass.MQTT;
    case 5228: // Google Firebase Cloud Messaging / Play services
      return PortClass.FCM;
  }
  if (port < 0) return PortClass.NONE;
  if (port < 1024) return PortClass.OTHER_WELL_KNOWN;
  if (port < 49152) return PortClass.REGISTERED;
  return PortClass.EPHEMERAL;
}

/** Frame-size classes, in the order of the size_bucket_* features. */
export function sizeBucket(size: number): number {
  if (size <= 64) return 0;
  if (size < 128) return 1;
  if (size < 256) return 2;
  if (size < 512) return 3;
  if (size < 1024) return 4;
  if (size < 1400) return 5;
  return 6;
}

export const ProtocolFlag = { TLS: 1, HTTP: 2, DNS: 4 } as const;

/** HTTPS, alternative HTTPS, DNS over TLS (RFC 7858), Apple push (APNs), MQTT over TLS. */
function isTlsPort(p: number): boolean {
  return p === 443 || p === 8443 || p === 853 || p === 5223 || p === 8883;
}

function isHttpPort(p: number): boolean {
  return p === 80 || p === 8080;
}

/** DNS, mDNS (RFC 6762), LLMNR (RFC 4795). */
function isDnsPort(p: number): boolean {
  return p === 53 || p === 5353 || p === 5355;
}

function hasLayer(layers: readonly LayerName[], a: LayerName, b: LayerName): boolean {
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    if (l === a || l === b) return true;
  }
  return false;
}

/**
 * TLS / HTTP / DNS flags (ProtocolFlag bits) of a decoded packet, from the decoder's layers, the
 * first payload bytes, or the ports (`portA`, `portB`, as the observer sees them).
 */
export function protocolFlags(pkt: DecodedPacket, portA: number, portB: number): number {
  let flags = 0;
  const proto = pkt.ipProto;
  if (proto === IpProto.TCP) {
    const b = pkt.raw.bytes;
    const p = pkt.payloadOffset;
    const hasPayload = pkt.payloadLength > 0;
    // TLS record header (RFC 8446 §5.1): content type 20–23, legacy version 3.x.
    const tlsRecord =
      hasPayload && p + 3 <= b.length && b[p] >= 20 && b[p] <= 23 && b[p + 1] === 3 && b[p + 2] <= 4;
    if (
      tlsRecord ||
      hasLayer(pkt.layers, 'tls', 'tls') ||
      (hasPayload && (isTlsPort(portA) || isTlsPort(portB)))
    ) {
      flags |= ProtocolFlag.TLS;
    }
    // HTTP: a request the decoder read, a response ("HTTP/"), or data on an HTTP port.
    const httpResponse =
      hasPayload &&
      p + 5 <= b.length &&
      b[p] === 0x48 &&
      b[p + 1] === 0x54 &&
      b[p + 2] === 0x54 &&
      b[p + 3] === 0x50 &&
      b[p + 4] === 0x2f;
    if (
      httpResponse ||
      hasLayer(pkt.layers, 'http', 'http') ||
      (hasPayload && (isHttpPort(portA) || isHttpPort(portB)))
    ) {
      flags |= ProtocolFlag.HTTP;
    }
  }
  if (proto === IpProto.TCP || proto === IpProto.UDP) {
    if (hasLayer(pkt.layers, 'dns', 'mdns') || isDnsPort(portA) || isDnsPort(portB))
      flags |= ProtocolFlag.DNS;
  }
  return flags;
}
