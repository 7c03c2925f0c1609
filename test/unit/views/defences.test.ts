import { describe, expect, it } from 'vitest';
import {
  DefendedStream,
  defenceId,
  largestFrame,
  parseDefence,
  type Defence,
} from '../../../src-main/views/defences.ts';
import { LABEL_NONE } from '../../../src-main/devices/ground-truth.ts';
import { Direction, type ViewPacket } from '../../../src-main/views/view-packet.ts';

function packet(ts: number, size: number, direction: Direction = Direction.UP): ViewPacket {
  return {
    ts,
    size,
    direction,
    ipProto: 6,
    localPort: 40000,
    remotePort: 443,
    tcpFlags: 0,
    label: 3,
    fileIndex: 0,
    packetIndex: 0,
    inner: null,
  };
}

function defend(
  defence: Defence,
  packets: ViewPacket[],
  view: 'napt' | 'vpn' = 'napt',
): { out: ViewPacket[]; stream: DefendedStream } {
  const stream = new DefendedStream(defence, view);
  const out: ViewPacket[] = [];
  for (const p of packets) stream.push(p, (vp) => out.push(vp));
  return { out, stream };
}

describe('defences', () => {
  it('pads each frame up to the next multiple, never past the largest frame, and counts the cost', () => {
    const { out, stream } = defend({ kind: 'padding', multiple: 64 }, [
      packet(0, 60),
      packet(1, 64),
      packet(2, 65),
      packet(3, 1500),
      packet(4, 9000),
    ]);
    expect(out.map((p) => p.size)).toEqual([64, 64, 128, 1514, 9000]);
    expect(out[0].label).toBe(3);
    expect(stream.stats.bytesBefore).toBe(60 + 64 + 65 + 1500 + 9000);
    expect(stream.stats.bytesAfter).toBe(64 + 64 + 128 + 1514 + 9000);
  });

  it('pads every packet to the full frame with pad-mtu; the VPN frame includes the tunnel', () => {
    expect(defend({ kind: 'padding', multiple: 'mtu' }, [packet(0, 100)]).out[0].size).toBe(1514);
    const vpnMax = largestFrame('vpn');
    expect(vpnMax).toBe(14 + 28 + 4 + 4 + 16 + 1500); // OpenVPN AES-256-GCM around a 1500-byte packet
    expect(defend({ kind: 'padding', multiple: 'mtu' }, [packet(0, 100)], 'vpn').out[0].size).toBe(vpnMax);
  });

  it('fills every empty slot of each direction with a dummy, in time order, and none across a reset', () => {
    const { out, stream } = defend({ kind: 'cover', packetsPerSecond: 2 }, [
      packet(10, 100, Direction.UP),
      packet(10.1, 200, Direction.DOWN),
      packet(12.05, 100, Direction.UP),
    ]);
    const dummies = out.filter((p) => p.label === LABEL_NONE);
    // slots of 0.5 s from the segment's first packet (10 s), each direction: [10, 10.5) carried a
    // packet both ways, [10.5, 11) … [11.5, 12) were empty, [12, 12.5) has the up packet
    expect(dummies.filter((p) => p.direction === Direction.UP).map((p) => p.ts)).toEqual([11, 11.5, 12]);
    expect(dummies.filter((p) => p.direction === Direction.DOWN).map((p) => p.ts)).toEqual([11, 11.5, 12]);
    for (let i = 1; i < out.length; i++) expect(out[i].ts).toBeGreaterThanOrEqual(out[i - 1].ts);
    expect(dummies.every((p) => p.size === 1514 && p.inner === null)).toBe(true);
    expect(stream.stats.dummyPackets).toBe(6);
    stream.reset();
    const after: ViewPacket[] = [];
    stream.push(packet(5000, 100), (vp) => after.push(vp));
    expect(after).toHaveLength(1);
  });

  it('names and parses defences both ways', () => {
    for (const text of ['pad-16', 'pad-mtu', 'cover-5pps']) expect(defenceId(parseDefence(text))).toBe(text);
    expect(() => parseDefence('pad-1')).toThrow(/unknown defence/);
    expect(() => parseDefence('shuffle')).toThrow(/pad-N/);
  });
});
