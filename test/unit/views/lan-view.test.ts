import { describe, expect, it } from 'vitest';
import { IpProto } from '../../../src-main/decode/decoded-packet.ts';
import { createView } from '../../../src-main/views/create-view.ts';
import { LanView } from '../../../src-main/views/lan-view.ts';
import { Direction, type ViewPacket } from '../../../src-main/views/view-packet.ts';
import { downPacket, HOME_MAC_B, makePacket, upPacket } from './decoded-packet-factory.ts';

describe('LanView', () => {
  it('passes every packet as captured, with directions and labels', () => {
    const view = new LanView();
    const out: ViewPacket[] = [];
    const emit = (vp: ViewPacket): void => {
      out.push(vp);
    };
    const packets = [
      makePacket({ ts: 1, arp: true }),
      makePacket({
        ts: 2,
        srcIp: '192.168.1.10',
        dstIp: '192.168.1.11',
        proto: IpProto.TCP,
        srcPort: 5555,
        dstPort: 8009,
        dstMac: HOME_MAC_B,
      }),
      upPacket(3, { vlanIds: [3], ipLength: 100 }),
      downPacket(4, { ipLength: 28, origLen: 60 }),
    ];
    packets.forEach((p, i) => {
      view.push(p, i, 1, i, emit);
    });
    view.flush(emit);
    expect(
      out.map((p) => [p.ts, p.size, p.direction, p.ipProto, p.localPort, p.remotePort, p.label]),
    ).toEqual([
      [1, 42, Direction.LOCAL, -1, -1, -1, 0],
      [2, 114, Direction.LOCAL, IpProto.TCP, 5555, 8009, 1],
      [3, 118, Direction.UP, IpProto.UDP, 40000, 443, 2],
      [4, 60, Direction.DOWN, IpProto.UDP, 40000, 443, 3],
    ]);
    expect(out.every((p, i) => p.inner === packets[i])).toBe(true);
    expect(view.stats).toEqual({ packetsIn: 4, packetsOut: 4, packetsHidden: 0, packetsSynthesised: 0 });
  });

  it('is what createView makes for "lan"; the factory makes every view', () => {
    expect(createView('lan')).toBeInstanceOf(LanView);
    expect(createView('napt').name).toBe('napt');
    expect(createView('vpn', { profile: 'wireguard' }).name).toBe('vpn');
  });
});
