import { describe, expect, it } from 'vitest';
import { IpProto, TcpFlag, type DecodedPacket } from '../../../src-main/decode/decoded-packet.ts';
import { VpnView, type VpnViewOptions } from '../../../src-main/views/vpn-view.ts';
import { LABEL_TUNNEL } from '../../../src-main/devices/ground-truth.ts';
import { Direction, type ViewPacket } from '../../../src-main/views/view-packet.ts';
import { downPacket, HOME_MAC_B, makePacket, upPacket } from './decoded-packet-factory.ts';

function run(options: VpnViewOptions, packets: DecodedPacket[], labels: number[] = []): ViewPacket[] {
  const view = new VpnView(options);
  const out: ViewPacket[] = [];
  const emit = (vp: ViewPacket): void => {
    out.push(vp);
  };
  packets.forEach((p, i) => {
    view.push(p, labels[i] ?? 5, 2, i, emit);
  });
  view.flush(emit);
  return out;
}

const synthetic = (out: ViewPacket[]): [number, number, number][] =>
  out.filter((p) => p.label === LABEL_TUNNEL).map((p) => [round(p.ts), p.direction, p.size]);
const round = (t: number): number => Math.round(t * 1000) / 1000;

describe('VpnView sizes', () => {
  // Outer frame = UDP payload + 8 UDP + 20 IPv4 + 14 Ethernet = payload + 42.
  const cases: [VpnViewOptions['profile'], number[]][] = [
    ['openvpn-aes-256-gcm', [40 + 24 + 42, 100 + 24 + 42, 1500 + 24 + 42]],
    ['openvpn-bf-cbc', [29 + 48 + 42, 29 + 112 + 42, 29 + 1512 + 42]],
    ['openvpn-aes-256-cbc', [37 + 48 + 42, 37 + 112 + 42, 37 + 1520 + 42]],
    ['wireguard', [32 + 48 + 42, 32 + 112 + 42, 32 + 1500 + 42]],
  ];
  for (const [profile, sizes] of cases) {
    it(`${profile}: inner 40, 100, 1500 bytes`, () => {
      const out = run({ profile }, [
        upPacket(0, { ipLength: 40, proto: IpProto.TCP, tcpFlags: TcpFlag.SYN }),
        downPacket(0.1, { ipLength: 100 }),
        upPacket(0.2, { ipLength: 1500, vlanIds: [7] }),
      ]);
      expect(out.map((p) => p.size)).toEqual(sizes);
    });
  }

  it('uses the IP length, not the padded Ethernet frame', () => {
    const out = run({}, [upPacket(0, { ipLength: 40, origLen: 60 })]);
    expect(out[0].size).toBe(40 + 24 + 42);
  });

  it('adds 20 more bytes with an IPv6 outer header', () => {
    const out = run({ outerIpVersion: 6 }, [upPacket(0, { ipLength: 100 })]);
    expect(out[0].size).toBe(100 + 24 + 8 + 40 + 14);
  });
});

describe('VpnView observer fields', () => {
  it('keeps time, direction and labels; shows only the tunnel flow; hides LAN-only traffic', () => {
    const out = run(
      { clientPort: 50001 },
      [
        upPacket(1, { proto: IpProto.TCP, tcpFlags: TcpFlag.SYN, dstPort: 8883 }),
        makePacket({ ts: 1.5, srcIp: '192.168.1.10', dstIp: '192.168.1.11', dstMac: HOME_MAC_B }),
        makePacket({ ts: 1.6, srcIp: '192.168.1.10', dstIp: '224.0.0.251', dstPort: 5353 }),
        downPacket(2, { proto: IpProto.TCP, tcpFlags: TcpFlag.SYN | TcpFlag.ACK }),
      ],
      [4, 9, 9, 4],
    );
    expect(
      out.map((p) => [p.ts, p.direction, p.label, p.ipProto, p.localPort, p.remotePort, p.tcpFlags]),
    ).toEqual([
      [1, Direction.UP, 4, 17, 50001, 1194, 0],
      [2, Direction.DOWN, 4, 17, 50001, 1194, 0],
    ]);
    expect(out.map((p) => [p.fileIndex, p.packetIndex])).toEqual([
      [2, 0],
      [2, 3],
    ]);
  });

  it('draws a client port deterministically from the seed', () => {
    const a = new VpnView({ seed: 3 });
    const b = new VpnView({ seed: 3 });
    expect(a.clientPort).toBe(b.clientPort);
    expect(a.clientPort).toBeGreaterThanOrEqual(49152);
    expect(new VpnView({ profile: 'wireguard' }).profile.serverPort).toBe(51820);
  });
});

describe('VpnView OpenVPN keepalive 10 60', () => {
  it('pings from each end only after 10 s without sending', () => {
    const out = run({}, [
      upPacket(0),
      downPacket(0.05),
      upPacket(1),
      upPacket(2),
      upPacket(35),
      downPacket(35.05),
    ]);
    const ping = 16 + 24 + 42;
    // Server last sent at 0.05 → 10.05, 20.05, 30.05; client last sent at 2 → 12, 22, 32.
    expect(synthetic(out)).toEqual([
      [10.05, Direction.DOWN, ping],
      [12, Direction.UP, ping],
      [20.05, Direction.DOWN, ping],
      [22, Direction.UP, ping],
      [30.05, Direction.DOWN, ping],
      [32, Direction.UP, ping],
    ]);
    const ts = out.map((p) => p.ts);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    const synth = out.filter((p) => p.label === LABEL_TUNNEL);
    expect(synth.every((p) => p.inner === null && p.fileIndex === -1 && p.packetIndex === -1)).toBe(true);
  });

  it('sends no pings while both ends keep talking', () => {
    const packets: DecodedPacket[] = [];
    for (let t = 0; t < 60; t += 5) packets.push(upPacket(t), downPacket(t + 0.1));
    expect(synthetic(run({}, packets))).toEqual([]);
  });
});

describe('VpnView WireGuard timers', () => {
  const keepalive = 32 + 42;
  const initiation = 148 + 42;
  const response = 92 + 42;

  it('sends a passive keepalive 10 s after unanswered data, then persistent keepalives every 25 s of silence', () => {
    const out = run({ profile: 'wireguard' }, [
      upPacket(0),
      downPacket(0.05),
      upPacket(5),
      downPacket(5.05),
      upPacket(100),
    ]);
    expect(synthetic(out)).toEqual([
      [15.05, Direction.UP, keepalive], // passive: received data at 5.05, sent nothing back
      [40.05, Direction.UP, keepalive], // persistent: 25 s after the last packet either way
      [65.05, Direction.UP, keepalive],
      [90.05, Direction.UP, keepalive],
    ]);
  });

  it('without persistent keepalive, one-way data still draws the receiver’s passive keepalives', () => {
    const out = run({ profile: 'wireguard', wireguardPersistentKeepaliveS: 0 }, [
      upPacket(0),
      upPacket(4),
      upPacket(8),
      upPacket(12),
      upPacket(30),
    ]);
    // The server arms its timer at the first unanswered data (0 s) and again after sending (12 s).
    expect(synthetic(out)).toEqual([
      [10, Direction.DOWN, keepalive],
      [22, Direction.DOWN, keepalive],
    ]);
  });

  it('rekeys every 120 s while traffic flows: initiation after data, response one round trip later, then a confirming keepalive', () => {
    const packets: DecodedPacket[] = [];
    for (let t = 0; t <= 400; t += 1) packets.push(upPacket(t), downPacket(t + 0.01));
    const out = run({ profile: 'wireguard', roundTripS: 0.03 }, packets);
    expect(synthetic(out)).toEqual([
      [120, Direction.UP, initiation],
      [120.03, Direction.DOWN, response],
      [120.03, Direction.UP, keepalive],
      [241, Direction.UP, initiation], // 240 is 119.97 s after the new session
      [241.03, Direction.DOWN, response],
      [241.03, Direction.UP, keepalive],
      [362, Direction.UP, initiation],
      [362.03, Direction.DOWN, response],
      [362.03, Direction.UP, keepalive],
    ]);
    const ts = out.map((p) => p.ts);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
  });

  it('rekeys on keepalives too, and starts a fresh handshake before data on an expired session', () => {
    const idle = run({ profile: 'wireguard' }, [upPacket(0), downPacket(0.01), upPacket(300)]);
    const handshakes = synthetic(idle).filter((p) => p[2] !== keepalive);
    // Passive keepalive at 10.01, then persistent ones at 35.01 … 110.01; the one at 135.01 is the
    // first sent on a session at least 120 s old.
    expect(handshakes[0]).toEqual([135.01, Direction.UP, initiation]);
    const noKeepalive = run({ profile: 'wireguard', wireguardPersistentKeepaliveS: 0 }, [
      upPacket(0),
      downPacket(0.01),
      upPacket(300),
    ]);
    expect(synthetic(noKeepalive)).toEqual([
      [10.01, Direction.UP, keepalive],
      [300, Direction.UP, initiation],
      [300.03, Direction.DOWN, response],
      [300.03, Direction.UP, keepalive],
    ]);
    // The initiation precedes the data packet it was made for.
    expect(noKeepalive.slice(-4).map((p) => p.label)).toEqual([LABEL_TUNNEL, 5, LABEL_TUNNEL, LABEL_TUNNEL]);
  });

  it('is deterministic', () => {
    const input = (): DecodedPacket[] => {
      const list: DecodedPacket[] = [];
      for (let i = 0; i < 300; i++)
        list.push(i % 3 === 0 ? downPacket(i * 1.7) : upPacket(i * 1.7, { ipLength: 60 + i }));
      return list;
    };
    const strip = (vps: ViewPacket[]): unknown[] => vps.map((p) => ({ ...p, inner: null }));
    expect(strip(run({ profile: 'wireguard' }, input()))).toEqual(
      strip(run({ profile: 'wireguard' }, input())),
    );
  });
});

describe('the tunnel’s own messages', () => {
  it('have sizes no data packet can have (CBC: none of 40 bytes or more), so an observer tells them apart by size', () => {
    for (const profile of [
      'openvpn-aes-256-gcm',
      'openvpn-bf-cbc',
      'openvpn-aes-256-cbc',
      'wireguard',
    ] as const) {
      const view = new VpnView({ profile });
      const control = view.controlFrameSizes();
      expect(control.length, profile).toBeGreaterThan(0);
      // inner IP packets whose tunnel frame has a control message's size: none, except with a CBC
      // cipher, whose padding gives the ping the size of inner packets under 40 bytes — smaller
      // than any TCP segment (IPv4 + TCP headers), so in practice the ping's size is its own there too
      const sharing: number[] = [];
      for (let inner = 20; inner <= 9000; inner++)
        if (control.includes(view.frameLength(view.profile.udpPayloadLength(inner)))) sharing.push(inner);
      if (profile.endsWith('-cbc')) expect(Math.max(0, ...sharing), profile).toBeLessThan(40);
      else expect(sharing, profile).toEqual([]);
      // and the keepalives the view makes are of those sizes
      const out = run({ profile }, [upPacket(0, { ipLength: 60 }), upPacket(200, { ipLength: 60 })]);
      const made = new Set(out.filter((p) => p.label === LABEL_TUNNEL).map((p) => p.size));
      expect(made.size, profile).toBeGreaterThan(0);
      for (const s of made) expect(control, profile).toContain(s);
    }
  });
});
