import { describe, expect, it } from 'vitest';
import { bytesOf, pcapFile, PcapngSectionWriter, twoSectionFile } from './capture-synth.ts';
import { plain, readStream, readStreamCut, type StreamResult } from './read-helpers.ts';

/** A little pcap file: 24-byte header, then records of 16 + 60, 16 + 61, 16 + 62 bytes. */
function threePacketPcap(littleEndian = true): Buffer {
  return pcapFile({
    littleEndian,
    packets: [0, 1, 2].map((i) => ({ sec: 100 + i, frac: i, data: bytesOf(60 + i, i) })),
  });
}
const THIRD_RECORD_AT = 24 + 76 + 77;

/** A pcapng file with one interface and two packets; returns it with the offset of its end. */
function smallPcapng(littleEndian = true): PcapngSectionWriter {
  return new PcapngSectionWriter(littleEndian)
    .interface({ linkType: 1 })
    .enhanced(0, 1n, bytesOf(30, 1))
    .enhanced(0, 2n, bytesOf(31, 2));
}

/** Runs the same data whole, in 1-byte chunks and in 7-byte chunks, and checks all agree. */
function readEveryWay(data: Uint8Array): StreamResult {
  const whole = readStream(data);
  for (const size of [1, 7]) {
    const r = readStream(data, size);
    expect(r.packets.map(plain)).toEqual(whole.packets.map(plain));
    expect(r.failure).toEqual(whole.failure);
  }
  return whole;
}

function uint32(n: number, littleEndian = true): Buffer {
  const b = Buffer.alloc(4);
  if (littleEndian) b.writeUInt32LE(n);
  else b.writeUInt32BE(n);
  return b;
}

describe('chunk boundaries', () => {
  const files: [string, Buffer][] = [
    ['pcap', threePacketPcap()],
    ['big-endian pcap', threePacketPcap(false)],
    ['pcapng', twoSectionFile()],
  ];
  for (const [name, data] of files) {
    it(`gives the same packets for a ${name} file cut at every byte`, () => {
      const expected = readStream(data).packets.map(plain);
      expect(expected.length).toBeGreaterThan(2);
      for (let cut = 0; cut <= data.length; cut++) {
        const r = readStreamCut(data, [cut]);
        expect(r.failure).toBeNull();
        expect(r.packets.map(plain)).toEqual(expected);
        expect(r.position).toBe(data.length);
      }
      for (const size of [1, 2, 3, 5, 13]) {
        for (const batchSize of [1, 2, 1024]) {
          expect(readStream(data, size, batchSize).packets.map(plain)).toEqual(expected);
        }
      }
    });
  }

  it('fills batches up to the batch size, across chunks', () => {
    const data = twoSectionFile();
    expect(readStream(data, data.length, 2).batches).toEqual([2, 2, 1]);
    expect(readStream(data, 9, 2).batches).toEqual([2, 2, 1]);
    expect(readStream(data, 9, 1024).batches).toEqual([5]);
  });

  it('gives packets their own bytes, not views of the chunk they came from', () => {
    const data = threePacketPcap();
    const stream = readStream(data);
    const before = stream.packets.map((p) => [...p.bytes]);
    data.fill(0xff);
    expect(stream.packets.map((p) => [...p.bytes])).toEqual(before);
  });
});

describe('damaged and odd data', () => {
  it('reports an empty capture', () => {
    const r = readStream(new Uint8Array(0));
    expect(r.packets).toEqual([]);
    expect(r.failure).toMatchObject({ kind: 'empty', offset: 0, fatal: true });
  });

  it('reports bad magic', () => {
    const r = readEveryWay(Buffer.from('GET / HTTP/1.1\r\nHost: example\r\n'));
    expect(r.packets).toEqual([]);
    expect(r.failure).toMatchObject({ kind: 'bad-magic', offset: 0, fatal: true });
    expect(r.failure?.detail).toBe(
      'not a pcap, pcapng or gzip file (its first bytes match none of their signatures)',
    );
    // nothing of a file that is not a capture is quoted, not even its first bytes in hex
    expect(r.failure?.detail).not.toMatch(/GET|47 45 54 20/);
  });

  it('reports bad magic for a file too short to hold any', () => {
    expect(readStream(Buffer.from([0x01, 0x02])).failure).toMatchObject({ kind: 'bad-magic' });
  });

  it('reports a file that ends inside the pcap file header', () => {
    const data = threePacketPcap();
    expect(readEveryWay(data.subarray(0, 10)).failure).toMatchObject({ kind: 'truncated', offset: 0 });
    const r = readEveryWay(data.subarray(0, 20));
    expect(r.failure).toMatchObject({ kind: 'truncated', offset: 0 });
    expect(r.failure?.detail).toContain('pcap file header (20 of 24 bytes)');
  });

  it('reports a file that ends inside the pcapng section header', () => {
    const data = smallPcapng().build();
    expect(readEveryWay(data.subarray(0, 8)).failure).toMatchObject({ kind: 'truncated', offset: 0 });
    expect(readEveryWay(data.subarray(0, 20)).failure).toMatchObject({ kind: 'truncated', offset: 0 });
  });

  it('keeps the packets before a pcap file cut inside a packet', () => {
    const data = threePacketPcap();
    for (const cutAt of [THIRD_RECORD_AT + 5, THIRD_RECORD_AT + 16 + 30]) {
      const r = readEveryWay(data.subarray(0, cutAt));
      expect(r.packets.map((p) => p.ts)).toEqual([100, 101.000001]);
      expect(r.failure).toMatchObject({ kind: 'truncated', offset: THIRD_RECORD_AT, fatal: true });
    }
    expect(readStream(data.subarray(0, THIRD_RECORD_AT + 46)).failure?.detail).toBe(
      'file ends inside a packet (the record needs 78 bytes, only 46 are there)',
    );
    expect(readStream(data.subarray(0, THIRD_RECORD_AT + 5)).failure?.detail).toBe(
      'file ends inside a packet record header (5 of 16 bytes)',
    );
  });

  it('keeps the packets before a pcapng file cut inside a block', () => {
    const w = smallPcapng();
    const lastAt = w.length;
    const data = w.enhanced(0, 3n, bytesOf(100, 3)).build();
    const r = readEveryWay(data.subarray(0, data.length - 10));
    expect(r.packets.map((p) => p.caplen)).toEqual([30, 31]);
    expect(r.failure).toMatchObject({ kind: 'truncated', offset: lastAt, fatal: true });
    expect(r.failure?.detail).toContain('packet block');
  });

  it('stops at an impossible pcap caplen and keeps what came before', () => {
    const data = pcapFile({
      packets: [
        { sec: 1, frac: 0, data: bytesOf(60, 0) },
        { sec: 2, frac: 0, data: bytesOf(60, 0), caplenField: 300_000 },
        { sec: 3, frac: 0, data: bytesOf(60, 0) },
      ],
    });
    const r = readEveryWay(data);
    expect(r.packets.map((p) => p.ts)).toEqual([1]);
    expect(r.failure).toMatchObject({ kind: 'malformed', offset: 100, fatal: true });
    expect(r.failure?.detail).toContain('300000');
  });

  it('stops at an impossible pcapng caplen', () => {
    const w = smallPcapng();
    const at = w.length;
    const data = w.enhanced(0, 3n, bytesOf(8, 0), 8, 400_000).build();
    const r = readEveryWay(data);
    expect(r.packets).toHaveLength(2);
    expect(r.failure).toMatchObject({ kind: 'malformed', offset: at });
    expect(r.failure?.detail).toContain('400000');
  });

  const badBlocks: [string, (le: boolean) => Buffer, string][] = [
    ['not a multiple of 4', (le) => Buffer.concat([uint32(6, le), uint32(33, le)]), 'not a multiple of 4'],
    ['less than 12', (le) => Buffer.concat([uint32(6, le), uint32(8, le), uint32(8, le)]), 'less than 12'],
    [
      'over the block size limit',
      (le) => Buffer.concat([uint32(6, le), uint32(0x7ffffff0, le)]),
      'more than',
    ],
    [
      'not matched by the trailing length',
      (le) => Buffer.concat([uint32(0xbad, le), uint32(16, le), uint32(0, le), uint32(20, le)]),
      'trailing length 20',
    ],
  ];
  for (const [name, block, detail] of badBlocks) {
    for (const le of [true, false]) {
      it(`stops at a block length ${name} (${le ? 'little' : 'big'}-endian)`, () => {
        const w = smallPcapng(le);
        const at = w.length;
        const data = w.raw(block(le)).raw(Buffer.alloc(64)).build();
        const r = readEveryWay(data);
        expect(r.packets).toHaveLength(2);
        expect(r.failure).toMatchObject({ kind: 'malformed', offset: at, fatal: true });
        expect(r.failure?.detail).toContain(detail);
      });
    }
  }

  it('stops at a section header with a bad byte-order magic', () => {
    const w = smallPcapng();
    const at = w.length;
    const data = w
      .raw(Buffer.concat([uint32(0x0a0d0d0a), uint32(28), uint32(0x12345678), Buffer.alloc(16)]))
      .build();
    const r = readEveryWay(data);
    expect(r.packets).toHaveLength(2);
    expect(r.failure).toMatchObject({ kind: 'malformed', offset: at });
    expect(r.failure?.detail).toContain('byte-order magic');
  });

  it('skips a packet on an undescribed interface and goes on', () => {
    const data = smallPcapng().enhanced(5, 3n, bytesOf(4, 0)).enhanced(0, 4n, bytesOf(4, 0)).build();
    const r = readEveryWay(data);
    expect(r.packets).toHaveLength(3);
    expect(r.failure).toBeNull();
    expect(r.problems).toEqual([expect.objectContaining({ kind: 'malformed', fatal: false })]);
  });
});
