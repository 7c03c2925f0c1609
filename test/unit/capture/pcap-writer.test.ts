import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LinkType } from '../../../src-main/capture/packet-source.ts';
import { writePcapFile } from '../../../src-main/capture/pcap-writer.ts';
import { readStream } from './read-helpers.ts';

describe('writePcapFile', () => {
  let dir: string | null = null;
  afterEach(() => {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  it('writes packets the reader gives back unchanged (time stamps to the microsecond, lengths, bytes)', () => {
    dir = mkdtempSync(join(tmpdir(), 'telltale-pcap-writer-'));
    const file = join(dir, 'out.pcap');
    const packets = [
      {
        ts: 1_686_631_860.040154,
        bytes: new Uint8Array([1, 2, 3, 4]),
        origLen: 4,
        linkType: LinkType.ETHERNET,
      },
      {
        ts: 1_686_631_862 - 4e-7, // 0.4 µs before a whole second
        bytes: new Uint8Array(60).fill(7),
        origLen: 1514,
        linkType: LinkType.ETHERNET,
      },
    ];
    expect(writePcapFile(file, packets, LinkType.ETHERNET)).toBe(2);
    const read = readStream(readFileSync(file));
    expect(read.failure).toBeNull();
    expect(read.format).toBe('pcap');
    expect(read.packets).toHaveLength(2);
    expect(read.packets[0].ts).toBeCloseTo(1_686_631_860.040154, 6);
    expect(read.packets[1].ts).toBeCloseTo(1_686_631_862, 6); // rounding carries into the seconds
    expect(read.packets.map((p) => [p.caplen, p.origLen, p.linkType])).toEqual([
      [4, 4, LinkType.ETHERNET],
      [60, 1514, LinkType.ETHERNET],
    ]);
    expect([...read.packets[1].bytes]).toEqual(new Array(60).fill(7));
  });

  it('refuses a packet of another link type', () => {
    dir = mkdtempSync(join(tmpdir(), 'telltale-pcap-writer-'));
    const packet = { ts: 1, bytes: new Uint8Array(20), origLen: 20, linkType: LinkType.RAW };
    expect(() => writePcapFile(join(dir!, 'x.pcap'), [packet], LinkType.ETHERNET)).toThrow(/link type 101/);
  });
});
