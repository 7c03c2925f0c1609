import { describe, expect, it } from 'vitest';
import { countToSeconds, resolutionUnits } from '../../../src-main/capture/pcapng-parser.ts';
import { LinkType } from '../../../src-main/capture/packet-source.ts';
import { bytesOf, PcapngSectionWriter, twoSectionFile } from './capture-synth.ts';
import { plain, readStream } from './read-helpers.ts';

describe('pcapng blocks', () => {
  it('reads packets from several interfaces, sections and block kinds, skipping unknown blocks', () => {
    const data = twoSectionFile();
    const r = readStream(data);
    expect(r.failure).toBeNull();
    expect(r.problems).toEqual([]);
    expect(r.format).toBe('pcapng');
    expect(r.position).toBe(data.length);
    expect(r.packets.map(plain)).toEqual([
      {
        ts: 1_700_000_000.123456,
        caplen: 60,
        origLen: 60,
        linkType: LinkType.ETHERNET,
        bytes: [...bytesOf(60, 1)],
        index: 0,
      },
      {
        ts: Number('1700000100.987654321'),
        caplen: 41,
        origLen: 1500,
        linkType: LinkType.RAW,
        bytes: [...bytesOf(41, 2)],
        index: 1,
      },
      // Simple Packet Block: interface 0, and the previous packet's timestamp.
      {
        ts: Number('1700000100.987654321'),
        caplen: 33,
        origLen: 33,
        linkType: LinkType.ETHERNET,
        bytes: [...bytesOf(33, 3)],
        index: 2,
      },
      {
        ts: 1_700_000_001 + 100,
        caplen: 28,
        origLen: 28,
        linkType: LinkType.RAW,
        bytes: [...bytesOf(28, 4)],
        index: 3,
      },
      {
        ts: 1_700_000_002.5,
        caplen: 50,
        origLen: 50,
        linkType: LinkType.LINUX_SLL2,
        bytes: [...bytesOf(50, 5)],
        index: 4,
      },
    ]);
  });

  it('says how many packets the capturing program recorded lost, once per new count, in either byte order', () => {
    for (const le of [true, false]) {
      const w = new PcapngSectionWriter(le)
        .interface({ linkType: LinkType.ETHERNET })
        .interface({ linkType: LinkType.ETHERNET })
        .enhanced(0, 1_700_000_000_000_000n, bytesOf(60, 1))
        // nothing lost: nothing said; a count for an interface the section lacks: nothing said
        .statistics(0, { received: 10, ifDrop: 0, osDrop: 0 })
        .statistics(7, { ifDrop: 5 })
        .statistics(1, { received: 10 });
      const at = w.length;
      w.statistics(0, { received: 900, ifDrop: 3, osDrop: 2 ** 32 + 1 })
        // the same running count again (a periodic writer): said once
        .statistics(0, { ifDrop: 3, osDrop: 2 ** 32 + 1 })
        .statistics(1, { osDrop: 1 });
      const r = readStream(w.build());
      expect(r.failure).toBeNull();
      expect(r.packets).toHaveLength(1);
      expect(r.problems).toEqual([
        {
          kind: 'dropped',
          offset: at,
          fatal: false,
          detail:
            'the capturing program recorded 4294967300 packets lost on interface 0 (3 by the network interface, ' +
            '4294967297 by the operating system): the capture is missing them, so traffic in it is undercounted',
        },
        {
          kind: 'dropped',
          offset: expect.any(Number) as number,
          fatal: false,
          detail:
            'the capturing program recorded 1 packet lost on interface 1 (1 by the operating system): the capture is ' +
            'missing it, so traffic in it is undercounted',
        },
      ]);
    }
  });

  it('reads a big-endian first section', () => {
    const data = new PcapngSectionWriter(false)
      .interface({ linkType: LinkType.ETHERNET, tsresol: 3 }) // ms
      .enhanced(0, 1_234_567n, bytesOf(10, 9))
      .build();
    const r = readStream(data);
    expect(r.packets.map(plain)).toEqual([
      { ts: 1234.567, caplen: 10, origLen: 10, linkType: 1, bytes: [...bytesOf(10, 9)], index: 0 },
    ]);
  });

  it('cuts a Simple Packet Block to the snap length but keeps the original length', () => {
    const data = new PcapngSectionWriter(true)
      .interface({ linkType: LinkType.ETHERNET, snaplen: 20 })
      .simple(bytesOf(20, 0), 400)
      .build();
    const [p] = readStream(data).packets;
    expect(p.caplen).toBe(20);
    expect(p.origLen).toBe(400);
    expect([...p.bytes]).toEqual([...bytesOf(20, 0)]);
  });

  it('forgets the previous section interfaces at a new section header', () => {
    const data = Buffer.concat([
      new PcapngSectionWriter(true).interface({ linkType: 1 }).interface({ linkType: 101 }).build(),
      new PcapngSectionWriter(true)
        .interface({ linkType: 113 })
        .enhanced(1, 0n, bytesOf(4, 0))
        .enhanced(0, 0n, bytesOf(4, 0))
        .build(),
    ]);
    const r = readStream(data);
    expect(r.packets.map((p) => p.linkType)).toEqual([113]);
    expect(r.failure).toBeNull();
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ kind: 'malformed', fatal: false });
    expect(r.problems[0].detail).toContain('interface 1');
  });

  it('turns if_tsresol into units per second, powers of ten and of two', () => {
    expect(resolutionUnits(6)).toBe(1e6);
    expect(resolutionUnits(9)).toBe(1e9);
    expect(resolutionUnits(0)).toBe(1);
    expect(resolutionUnits(0x80 | 10)).toBe(1024);
    expect(resolutionUnits(0x80 | 20)).toBe(1048576);
  });

  it('keeps sub-microsecond precision for nanosecond timestamps', () => {
    const data = new PcapngSectionWriter(true)
      .interface({ linkType: 1, tsresol: 9 })
      .enhanced(0, 1_685_553_432_356_019_481n, bytesOf(4, 0))
      .build();
    const [p] = readStream(data).packets;
    expect(p.ts).toBe(Number('1685553432.356019481'));
  });

  it('converts 64-bit counts exactly, whatever the unit', () => {
    const count = 1_685_553_432_356_019_481n;
    const high = Number(count >> 32n);
    const low = Number(count & 0xffffffffn);
    expect(countToSeconds(high, low, 1e9, 0)).toBe(Number('1685553432.356019481'));
    expect(countToSeconds(high, low, 1e9, -32)).toBe(Number('1685553400.356019481'));
    expect(countToSeconds(0, 999_999, 1e6, 0)).toBe(0.999999);
    expect(countToSeconds(0x3fffff, 0xffffffff, 1024, 0)).toBe(
      Number((2n ** 54n - 1n) / 1024n) + 1023 / 1024,
    );
    expect(countToSeconds(1, 0, 1e18, 0)).toBeCloseTo(4.294967296e-9, 20);
  });

  it('applies a negative if_tsoffset', () => {
    const data = new PcapngSectionWriter(false)
      .interface({ linkType: 1, tsoffset: -3600 })
      .enhanced(0, 7_200_000_000n, bytesOf(4, 0))
      .build();
    expect(readStream(data).packets[0].ts).toBe(3600);
  });
});
