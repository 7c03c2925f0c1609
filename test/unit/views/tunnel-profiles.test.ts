import { describe, expect, it } from 'vitest';
import {
  openvpnCbcPayload,
  openvpnGcmPayload,
  tunnelProfile,
  wireguardPayload,
} from '../../../src-main/views/tunnel-profiles.ts';

describe('tunnel packet sizes (UDP payload for an inner IP packet)', () => {
  it('OpenVPN AES-256-GCM, P_DATA_V2: 4 header + 4 packet ID + 16 tag, no padding', () => {
    expect(openvpnGcmPayload(40)).toBe(64);
    expect(openvpnGcmPayload(100)).toBe(124);
    expect(openvpnGcmPayload(1500)).toBe(1524);
  });

  it('OpenVPN BF-CBC + HMAC-SHA1: 1 opcode + 20 HMAC + 8 IV + PKCS#7-padded (4 packet ID + payload)', () => {
    expect(openvpnCbcPayload(40, 8)).toBe(1 + 20 + 8 + 48); // 44 → 48
    expect(openvpnCbcPayload(100, 8)).toBe(1 + 20 + 8 + 112); // 104 → 112
    expect(openvpnCbcPayload(1500, 8)).toBe(1 + 20 + 8 + 1512); // 1504 is a multiple: a whole block of padding
  });

  it('OpenVPN AES-256-CBC + HMAC-SHA1: 16-byte IV and blocks', () => {
    expect(openvpnCbcPayload(40, 16)).toBe(1 + 20 + 16 + 48);
    expect(openvpnCbcPayload(100, 16)).toBe(1 + 20 + 16 + 112);
    expect(openvpnCbcPayload(1500, 16)).toBe(1 + 20 + 16 + 1520);
  });

  it('WireGuard: 16 header + inner padded to 16 (capped at the MTU) + 16 tag', () => {
    expect(wireguardPayload(0)).toBe(32); // keepalive
    expect(wireguardPayload(40)).toBe(16 + 48 + 16);
    expect(wireguardPayload(100)).toBe(16 + 112 + 16);
    expect(wireguardPayload(1415)).toBe(16 + 1420 + 16); // would pad to 1424, capped at MTU 1420
    expect(wireguardPayload(1420)).toBe(16 + 1420 + 16);
    expect(wireguardPayload(1500)).toBe(16 + 1500 + 16);
  });

  it('names profiles with their server ports', () => {
    expect(tunnelProfile('openvpn-aes-256-gcm').serverPort).toBe(1194);
    expect(tunnelProfile('openvpn-bf-cbc').udpPayloadLength(100)).toBe(141);
    expect(tunnelProfile('wireguard').serverPort).toBe(51820);
    expect(tunnelProfile('wireguard', 1280).udpPayloadLength(1275)).toBe(16 + 1280 + 16);
  });
});
