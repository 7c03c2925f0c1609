/**
 * Sizes of VPN tunnel packets: how many bytes of UDP payload carry an inner IP packet of a given
 * length, per tunnel and cipher. Outer headers (UDP 8, IPv4 20 or IPv6 40, Ethernet 14) are added
 * by the VPN view.
 *
 * OpenVPN data channel (OpenVPN 2.x, src/openvpn/crypto.h and doc/doxygen/doc_data_crypto.h,
 * "Data channel packet format"; ssl_pkt.h for the opcodes):
 *
 * * AEAD (AES-256-GCM, the default negotiated data cipher since OpenVPN 2.4 / `data-ciphers`
 *   default AES-256-GCM:AES-128-GCM:CHACHA20-POLY1305 in 2.5+), with P_DATA_V2:
 *   `[opcode<<3 | key_id : 1][peer-id : 3][packet ID : 4][GCM tag : 16][ciphertext : n]` —
 *   GCM is a stream mode, so the ciphertext is exactly as long as the plaintext: n + 24.
 * * CBC + HMAC (the paper-era default `cipher BF-CBC` with `auth SHA1`, or AES-256-CBC), with
 *   P_DATA_V1: `[opcode<<3 | key_id : 1][HMAC-SHA1 : 20][IV : block][ciphertext]`, where the
 *   plaintext is `[packet ID : 4][payload : n]` padded PKCS#7-style (OpenSSL EVP default) to the
 *   next multiple of the block size — always at least one padding byte. Blowfish has 8-byte
 *   blocks, AES 16-byte blocks; the IV is one block.
 * * No compression framing byte: OpenVPN 2.6 disables compression by default
 *   (`allow-compression no`); a `comp-lzo` configuration would add one byte to the plaintext.
 * * The keepalive ping (`--ping`, ping.c `ping_string`) is a 16-byte magic payload sent as an
 *   ordinary data-channel packet.
 *
 * WireGuard (whitepaper "WireGuard: Next Generation Kernel Network Tunnel", J. A. Donenfeld,
 * §5.4.6 transport data messages and §6 timers):
 *
 * * Transport data: `[type : 1][reserved : 3][receiver index : 4][counter : 8]` then the
 *   ChaCha20-Poly1305 encryption of the inner packet zero-padded to a multiple of 16 bytes, plus
 *   the 16-byte Poly1305 tag: 16 + pad16(n) + 16. The Linux implementation caps the padding at
 *   the tunnel MTU (send.c `calculate_skb_padding`), default MTU 1420.
 * * A keepalive is a transport data message with an empty payload: 32 bytes.
 * * Handshake initiation is 148 bytes, handshake response 92 bytes (§5.4.2, §5.4.3).
 */

export type TunnelProfileName =
  'openvpn-aes-256-gcm' | 'openvpn-bf-cbc' | 'openvpn-aes-256-cbc' | 'wireguard';
export const TUNNEL_PROFILE_NAMES: readonly TunnelProfileName[] = [
  'openvpn-aes-256-gcm',
  'openvpn-bf-cbc',
  'openvpn-aes-256-cbc',
  'wireguard',
];
/** The default: OpenVPN over UDP (the paper's setting) with today's default data cipher. */
export const DEFAULT_TUNNEL_PROFILE: TunnelProfileName = 'openvpn-aes-256-gcm';

export type TunnelFamily = 'openvpn' | 'wireguard';

export interface TunnelProfile {
  readonly name: TunnelProfileName;
  readonly family: TunnelFamily;
  /** The server's UDP port (OpenVPN IANA 1194, WireGuard conventional 51820). */
  readonly serverPort: number;
  /** UDP payload length that carries an inner IP packet of `innerLength` bytes. */
  udpPayloadLength(innerLength: number): number;
}

/** OpenVPN P_DATA_V2: opcode/key-id 1 + peer-id 3. */
const OPENVPN_V2_HEADER = 4;
/** OpenVPN P_DATA_V1: opcode/key-id 1. */
const OPENVPN_V1_HEADER = 1;
const OPENVPN_PACKET_ID = 4;
const GCM_TAG = 16;
const HMAC_SHA1 = 20;
/** Length of OpenVPN's keepalive ping payload (ping.c `ping_string`). */
export const OPENVPN_PING_LENGTH = 16;

/** WireGuard transport header: type 1 + reserved 3 + receiver 4 + counter 8. */
const WIREGUARD_HEADER = 16;
const POLY1305_TAG = 16;
const WIREGUARD_PADDING = 16;
export const WIREGUARD_DEFAULT_MTU = 1420;
export const WIREGUARD_HANDSHAKE_INITIATION = 148;
export const WIREGUARD_HANDSHAKE_RESPONSE = 92;

/** OpenVPN AEAD (GCM) data packet payload length. */
export function openvpnGcmPayload(innerLength: number): number {
  return OPENVPN_V2_HEADER + OPENVPN_PACKET_ID + GCM_TAG + innerLength;
}

/** OpenVPN CBC + HMAC-SHA1 data packet payload length for a cipher of `blockSize` bytes. */
export function openvpnCbcPayload(innerLength: number, blockSize: number): number {
  const plaintext = OPENVPN_PACKET_ID + innerLength;
  const padded = (Math.floor(plaintext / blockSize) + 1) * blockSize; // PKCS#7 always pads
  return OPENVPN_V1_HEADER + HMAC_SHA1 + blockSize + padded;
}

/** WireGuard transport data payload length (inner packet padded to 16, capped at the MTU). */
export function wireguardPayload(innerLength: number, mtu: number = WIREGUARD_DEFAULT_MTU): number {
  const rounded = Math.ceil(innerLength / WIREGUARD_PADDING) * WIREGUARD_PADDING;
  // Padding never grows a packet past the MTU; a packet already larger (not possible on a real
  // tunnel, where the inner MTU is 1420) is not padded.
  const padded = innerLength >= mtu ? innerLength : Math.min(rounded, mtu);
  return WIREGUARD_HEADER + padded + POLY1305_TAG;
}

/** The profile of this name; `wireguardMtu` applies to WireGuard only. */
export function tunnelProfile(
  name: TunnelProfileName,
  wireguardMtu: number = WIREGUARD_DEFAULT_MTU,
): TunnelProfile {
  switch (name) {
    case 'openvpn-aes-256-gcm':
      return { name, family: 'openvpn', serverPort: 1194, udpPayloadLength: openvpnGcmPayload };
    case 'openvpn-bf-cbc':
      return { name, family: 'openvpn', serverPort: 1194, udpPayloadLength: (n) => openvpnCbcPayload(n, 8) };
    case 'openvpn-aes-256-cbc':
      return { name, family: 'openvpn', serverPort: 1194, udpPayloadLength: (n) => openvpnCbcPayload(n, 16) };
    case 'wireguard':
      return {
        name,
        family: 'wireguard',
        serverPort: 51820,
        udpPayloadLength: (n) => wireguardPayload(n, wireguardMtu),
      };
  }
}
