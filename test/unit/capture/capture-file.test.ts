import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  openCaptureFile,
  readCaptureFile,
  type CaptureFileOptions,
} from '../../../src-main/capture/capture-file.ts';
import type { PacketSource, RawPacket } from '../../../src-main/capture/packet-source.ts';
import type { PacerClock } from '../../../src-main/capture/replay-pacer.ts';
import { bytesOf, gzip, pcapFile, twoSectionFile } from './capture-synth.ts';
import { plain } from './read-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'telltale-capture-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, data: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

async function collect(source: PacketSource): Promise<RawPacket[]> {
  const out: RawPacket[] = [];
  for await (const batch of source.batches()) out.push(...batch);
  return out;
}

/** 300 packets of 40..139 bytes, one a millisecond. */
function manyPackets(): Buffer {
  return pcapFile({
    packets: Array.from({ length: 300 }, (_, i) => ({
      sec: 1000,
      frac: i * 1000,
      data: bytesOf(40 + (i % 100), i),
    })),
  });
}

describe('openCaptureFile', () => {
  it('reads a plain pcap file and counts it in stats', async () => {
    const data = manyPackets();
    const source = openCaptureFile(file('plain.pcap', data));
    const packets = await collect(source);
    expect(packets).toHaveLength(300);
    expect(packets[299]).toMatchObject({ ts: 1000.299, caplen: 139, origLen: 139, linkType: 1, index: 299 });
    expect([...packets[299].bytes]).toEqual([...bytesOf(139, 299)]);
    expect(source.errors).toEqual([]);
    expect(source.stats).toEqual({
      packets: 300,
      bytes: packets.reduce((n, p) => n + p.origLen, 0),
      position: data.length,
      totalBytes: data.length,
      filePosition: data.length,
      dropped: 0,
    });
  });

  it('recognises gzip and the format by content, whatever the file name', async () => {
    const ng = twoSectionFile();
    const expected = (await collect(openCaptureFile(file('ref.pcapng', ng)))).map(plain);
    expect(expected).toHaveLength(5);
    const names: [string, Uint8Array][] = [
      ['a.pcapng.gz', gzip(ng)],
      ['b.cap.gz', gzip(ng)],
      ['c.pcap', gzip(ng)],
      ['d.txt', gzip(ng)],
      ['e.pcap.gz', ng],
      ['f.gz', ng],
    ];
    for (const [name, data] of names) {
      const source = openCaptureFile(file(name, data));
      expect((await collect(source)).map(plain), name).toEqual(expected);
      expect(source.errors, name).toEqual([]);
    }
  });

  it('reports progress of a gzip file against its compressed size', async () => {
    const data = manyPackets();
    const gz = gzip(data);
    const source = openCaptureFile(file('progress.pcap.gz', gz));
    await collect(source);
    expect(source.stats).toMatchObject({
      packets: 300,
      position: data.length,
      totalBytes: gz.length,
      filePosition: gz.length,
    });
  });

  it("moves a gzip file's progress with the parser, not with the reader's read-ahead (from the gzip trailer)", async () => {
    const data = pcapFile({
      packets: Array.from({ length: 20_000 }, (_, i) => ({
        sec: 1000 + i,
        frac: 0,
        data: bytesOf(60 + (i % 900), i),
      })),
    });
    const gz = gzip(data);
    const source = openCaptureFile(file('eta.pcap.gz', gz), { batchSize: 1000 });
    const fractions: number[] = [];
    for await (const _batch of source.batches()) fractions.push(source.stats.filePosition / gz.length);
    // the whole compressed file fits one read, yet the first batch is a twentieth of the way
    expect(fractions.length).toBeGreaterThanOrEqual(20);
    expect(fractions[0]).toBeLessThan(0.1);
    expect(fractions.every((f, i) => i === 0 || f >= fractions[i - 1])).toBe(true);
    expect(fractions[Math.floor(fractions.length / 2)]).toBeGreaterThan(0.35);
    expect(fractions[Math.floor(fractions.length / 2)]).toBeLessThan(0.65);
    expect(source.stats.filePosition).toBe(gz.length);
  });

  it('falls back to the bytes read for a gzip file whose trailer is not its size (two members)', async () => {
    const data = manyPackets();
    const gz = Buffer.concat([gzip(data), gzip(Buffer.alloc(0))]);
    const source = openCaptureFile(file('members.pcap.gz', gz));
    await collect(source);
    expect(source.stats).toMatchObject({ packets: 300, filePosition: gz.length });
  });

  it('gives the same packets whatever the read chunk size', async () => {
    const data = manyPackets();
    const plainPath = file('chunks.pcap', data);
    const gzPath = file('chunks.pcap.gz', gzip(data));
    const expected = (await collect(openCaptureFile(plainPath))).map(plain);
    for (const chunkSize of [1, 7, 64, 1000]) {
      for (const path of [plainPath, gzPath]) {
        const options: CaptureFileOptions = { chunkSize, batchSize: 17 };
        expect((await collect(openCaptureFile(path, options))).map(plain)).toEqual(expected);
      }
    }
  });

  it('yields batches of at most batchSize packets', async () => {
    const sizes: number[] = [];
    await readCaptureFile(file('batches.pcap', manyPackets()), (b) => void sizes.push(b.length), {
      batchSize: 128,
    });
    expect(sizes).toEqual([128, 128, 44]);
  });

  it('can be iterated only once', async () => {
    const source = openCaptureFile(file('once.pcap', manyPackets()));
    await collect(source);
    expect(() => source.batches()).toThrow(/only once/);
  });
});

describe('capture file problems', () => {
  it('reports a zero-length file', async () => {
    const path = file('empty.pcap', new Uint8Array(0));
    const { stats, errors } = await readCaptureFile(path, () => undefined);
    expect(stats.packets).toBe(0);
    expect(errors).toEqual([expect.objectContaining({ kind: 'empty', source: path, fatal: true })]);
    expect(errors[0].message).toContain(path);
  });

  it('reports a gzip file that holds nothing', async () => {
    const { errors } = await readCaptureFile(file('empty.pcap.gz', gzip(new Uint8Array(0))), () => undefined);
    expect(errors).toEqual([expect.objectContaining({ kind: 'empty', fatal: true })]);
  });

  it('reports wrong magic with the file name and offset', async () => {
    const path = file('notes.pcap', Buffer.from('these are not packets, just some text'));
    const { errors } = await readCaptureFile(path, () => undefined);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: 'bad-magic', offset: 0, fatal: true });
    expect(errors[0].message).toBe(
      `${path} at byte offset 0: not a pcap, pcapng or gzip file (its first bytes match none of their signatures)`,
    );
  });

  it('keeps the packets before a cut and names the offset', async () => {
    const data = manyPackets();
    const cut = data.subarray(0, data.length - 50);
    for (const [name, bytes, where] of [
      ['cut.pcap', cut, 'at byte offset'],
      ['cut.pcap.gz', gzip(cut), 'of the decompressed data'],
    ] as const) {
      const path = file(name, bytes);
      const packets: RawPacket[] = [];
      const { errors } = await readCaptureFile(path, (b) => void packets.push(...b), { chunkSize: 512 });
      expect(packets).toHaveLength(299);
      expect(errors).toHaveLength(1);
      const lastRecordAt = data.length - (16 + 139);
      expect(errors[0]).toMatchObject({ kind: 'truncated', offset: lastRecordAt, fatal: true, source: path });
      expect(errors[0].message).toContain(path);
      expect(errors[0].message).toContain(`byte offset ${lastRecordAt}`);
      expect(errors[0].message).toContain(where);
    }
  });

  it('reports an impossible caplen and keeps earlier packets', async () => {
    const data = pcapFile({
      packets: [
        { sec: 1, frac: 0, data: bytesOf(10, 0) },
        { sec: 2, frac: 0, data: bytesOf(10, 0), caplenField: 1 << 20 },
      ],
    });
    const path = file('oversize.pcap', data);
    const packets: RawPacket[] = [];
    const { errors } = await readCaptureFile(path, (b) => void packets.push(...b));
    expect(packets).toHaveLength(1);
    expect(errors).toEqual([expect.objectContaining({ kind: 'malformed', offset: 50, fatal: true })]);
    expect(errors[0].message).toBe(
      `${path} at byte offset 50: impossible packet length 1048576 (more than 262144 bytes)`,
    );
  });

  it('reports a gzip file cut short after delivering what it holds', async () => {
    const gz = gzip(manyPackets());
    const path = file('cut-gzip.pcap.gz', gz.subarray(0, gz.length - 200));
    const packets: RawPacket[] = [];
    const { errors } = await readCaptureFile(path, (b) => void packets.push(...b), { chunkSize: 256 });
    expect(packets.length).toBeGreaterThan(50);
    expect(packets.length).toBeLessThan(300);
    expect(packets.map((p) => p.index)).toEqual(packets.map((_, i) => i));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: 'truncated', fatal: true });
    expect(errors[0].message).toContain('gzip data ends early');
    expect(errors[0].message).toContain('of the decompressed data');
  });

  it('reports corrupt gzip data (bad checksum) after the packets it inflated', async () => {
    const gz = Buffer.from(gzip(manyPackets()));
    gz[gz.length - 8] ^= 0xff; // CRC-32 in the gzip trailer (RFC 1952 §2.3.1)
    const packets: RawPacket[] = [];
    // zlib drops the output of the inflate step that fails: small steps keep almost everything.
    const path = file('bad-crc.pcap.gz', gz);
    const { errors } = await readCaptureFile(path, (b) => void packets.push(...b), { chunkSize: 1024 });
    expect(packets.length).toBeGreaterThan(280);
    expect(packets.map(plain)).toEqual(
      (await collect(openCaptureFile(file('good.pcap', manyPackets())))).slice(0, packets.length).map(plain),
    );
    expect(errors).toEqual([expect.objectContaining({ kind: 'io', fatal: true })]);
    expect(errors[0].message).toMatch(/corrupt gzip data \(.*check/);
  });

  it('reports a corrupt gzip header', async () => {
    const gz = Buffer.from(gzip(manyPackets()));
    gz[2] = 7; // compression method: only 8 (deflate) exists
    const { errors, stats } = await readCaptureFile(file('bad-header.gz', gz), () => undefined);
    expect(stats.packets).toBe(0);
    expect(errors).toEqual([expect.objectContaining({ kind: 'io', offset: 0, fatal: true })]);
    expect(errors[0].message).toContain('corrupt gzip data');
  });

  it('reports a file that cannot be opened or read', async () => {
    const missing = join(dir, 'missing.pcap');
    const a = await readCaptureFile(missing, () => undefined);
    expect(a.errors).toEqual([
      expect.objectContaining({ kind: 'io', offset: -1, fatal: true, source: missing }),
    ]);
    expect(a.errors[0].message).toBe(`${missing}: cannot open the file (ENOENT: no such file or directory)`);
    const folder = join(dir, 'folder.pcap');
    mkdirSync(folder);
    const b = await readCaptureFile(folder, () => undefined);
    expect(b.errors).toEqual([expect.objectContaining({ kind: 'io', fatal: true })]);
    expect(b.errors[0].message).toContain('EISDIR');
  });
});

describe('stop, pause and pacing', () => {
  it('ends iteration after the current batch on stop()', async () => {
    const source = openCaptureFile(file('stop.pcap', manyPackets()), { batchSize: 10 });
    let batches = 0;
    for await (const _batch of source.batches()) {
      batches++;
      source.stop();
    }
    expect(batches).toBe(1);
    expect(source.stats.packets).toBe(10);
    expect(source.errors).toEqual([]);
  });

  it('holds delivery while paused', async () => {
    const source = openCaptureFile(file('pause.pcap', manyPackets()));
    source.pause();
    const it = source.batches()[Symbol.asyncIterator]();
    let got: IteratorResult<readonly RawPacket[]> | null = null;
    const pending = it.next().then((r) => (got = r));
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toBeNull();
    source.resume();
    await pending;
    expect(got!.value).toHaveLength(300);
  });

  it('paces replay by the capture timestamps', async () => {
    const clock: PacerClock & { t: number; sleeps: number[] } = {
      t: 0,
      sleeps: [],
      now() {
        return this.t;
      },
      sleep(ms) {
        this.sleeps.push(ms);
        this.t += ms;
        return Promise.resolve();
      },
    };
    const data = pcapFile({
      packets: [0, 0, 100_000, 500_000, 500_001].map((us, i) => ({
        sec: 50,
        frac: us,
        data: bytesOf(10, i),
      })),
    });
    const source = openCaptureFile(file('paced.pcap', data), { pacing: { speed: 10 }, clock });
    const times: number[] = [];
    const sizes: number[] = [];
    for await (const run of source.batches()) {
      times.push(clock.t);
      sizes.push(run.length);
    }
    expect(sizes).toEqual([2, 1, 1, 1]);
    [0, 10, 50, 50.0001].forEach((t, i) => {
      expect(times[i]).toBeCloseTo(t, 9);
    });
    expect(source.stats.packets).toBe(5);
  });
});
