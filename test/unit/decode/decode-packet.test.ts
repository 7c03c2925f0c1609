import { describe, expect, it } from 'vitest';
import { decodePacket } from '../../../src-main/decode/decode-packet.ts';
import type { RawPacket } from '../../../src-main/capture/packet-source.ts';
import { eth, ipv4, raw, udp } from './frames.ts';

describe('decodePacket', () => {
  it('gives every packet the same fields and defaults', () => {
    const empty = decodePacket(raw([]));
    expect(Object.keys(empty)).toEqual(Object.keys(decodePacket(raw(eth(0x0800, ipv4(udp([1])))))));
    expect(empty).toMatchObject({
      layers: [],
      srcMac: null,
      ipVersion: 0,
      ipProto: -1,
      srcPort: -1,
      icmpType: -1,
      payloadOffset: 0,
      payloadLength: 0,
      arp: null,
      hints: null,
    });
    expect(empty.error).toMatchObject({ kind: 'truncated', layer: 'eth' });
  });

  it('keeps the raw packet', () => {
    const r = raw(eth(0x0800, ipv4(udp([1]))));
    expect(decodePacket(r).raw).toBe(r);
  });

  it('untagged packets share a frozen empty VLAN list', () => {
    const a = decodePacket(raw(eth(0x0800, ipv4(udp([1])))));
    const b = decodePacket(raw(eth(0x0800, ipv4(udp([2])))));
    expect(a.vlanIds).toBe(b.vlanIds);
    expect(Object.isFrozen(a.vlanIds)).toBe(true);
  });

  it('never lets an exception escape, even for a packet that breaks the contract', () => {
    const broken = {
      ts: 0,
      caplen: 0,
      origLen: 0,
      linkType: 1,
      bytes: null,
      index: 0,
    } as unknown as RawPacket;
    const d = decodePacket(broken);
    expect(d.error?.kind).toBe('malformed');
    expect(d.error?.message).toMatch(/^internal decoder error/);
  });

  it('the shared reader state does not leak between packets', () => {
    const bad = decodePacket(raw([1, 2, 3]));
    expect(bad.error).not.toBeNull();
    const good = decodePacket(raw(eth(0x0800, ipv4(udp([1], 1000, 2000)))));
    expect(good.error).toBeNull();
  });
});
