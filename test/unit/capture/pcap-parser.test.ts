import { describe, expect, it } from 'vitest';
import { LinkType } from '../../../src-main/capture/packet-source.ts';
import { bytesOf, pcapFile } from './capture-synth.ts';
import { plain, readStream } from './read-helpers.ts';

describe('pcap records', () => {
  for (const littleEndian of [true, false]) {
    const order = littleEndian ? 'little-endian' : 'big-endian';

    it(`reads every field of a ${order} microsecond file`, () => {
      const data = pcapFile({
        littleEndian,
        linkType: LinkType.ETHERNET,
        packets: [
          { sec: 1_700_000_000, frac: 123_456, data: bytesOf(60, 1) },
          { sec: 1_700_000_001, frac: 999_999, data: bytesOf(1514, 2) },
        ],
      });
      const r = readStream(data);
      expect(r.failure).toBeNull();
      expect(r.format).toBe('pcap');
      expect(r.packets.map(plain)).toEqual([
        {
          ts: 1_700_000_000 + 123_456 / 1e6,
          caplen: 60,
          origLen: 60,
          linkType: 1,
          bytes: [...bytesOf(60, 1)],
          index: 0,
        },
        {
          ts: 1_700_000_001 + 999_999 / 1e6,
          caplen: 1514,
          origLen: 1514,
          linkType: 1,
          bytes: [...bytesOf(1514, 2)],
          index: 1,
        },
      ]);
      expect(r.position).toBe(data.length);
    });

    it(`reads ${order} nanosecond timestamps`, () => {
      const data = pcapFile({
        littleEndian,
        nanos: true,
        linkType: LinkType.RAW,
        packets: [{ sec: 1_600_000_000, frac: 987_654_321, data: bytesOf(40, 3) }],
      });
      const [p] = readStream(data).packets;
      expect(p.ts).toBe(1_600_000_000 + 987_654_321 / 1e9);
      // The double nearest to the exact decimal time (a literal that long would lose precision).
      expect(p.ts).toBe(Number('1600000000.987654321'));
      expect(p.linkType).toBe(LinkType.RAW);
    });

    it(`reads the ${order} modified (0xA1B2CD34) format with 24-byte record headers`, () => {
      const data = pcapFile({
        littleEndian,
        modified: true,
        packets: [
          { sec: 10, frac: 5, data: bytesOf(20, 4) },
          { sec: 11, frac: 6, data: bytesOf(21, 5) },
        ],
      });
      const r = readStream(data);
      expect(r.failure).toBeNull();
      expect(r.packets.map((p) => [p.ts, [...p.bytes]])).toEqual([
        [10.000005, [...bytesOf(20, 4)]],
        [11.000006, [...bytesOf(21, 5)]],
      ]);
    });
  }

  it('keeps origLen when the snap length cut the packet', () => {
    const data = pcapFile({
      snaplen: 96,
      packets: [{ sec: 1, frac: 0, data: bytesOf(96, 0), origLen: 1500 }],
    });
    const [p] = readStream(data).packets;
    expect(p.caplen).toBe(96);
    expect(p.origLen).toBe(1500);
    expect(p.bytes.length).toBe(96);
  });

  it('takes the link type from the low 16 bits (the upper bits carry FCS information)', () => {
    const data = pcapFile({
      linkType: (0b1100 << 28) | LinkType.LINUX_SLL,
      packets: [{ sec: 1, frac: 0, data: bytesOf(4, 0) }],
    });
    expect(readStream(data).packets[0].linkType).toBe(LinkType.LINUX_SLL);
  });

  it('reads a file with no packets', () => {
    const r = readStream(pcapFile({ packets: [] }));
    expect(r.packets).toEqual([]);
    expect(r.failure).toBeNull();
  });

  it('delivers zero-length packets', () => {
    const r = readStream(pcapFile({ packets: [{ sec: 1, frac: 0, data: new Uint8Array(0), origLen: 0 }] }));
    expect(r.packets.map(plain)).toEqual([
      { ts: 1, caplen: 0, origLen: 0, linkType: 1, bytes: [], index: 0 },
    ]);
  });
});
