import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { RawPacket } from '../../../src-main/capture/packet-source.ts';
import {
  CommandCaptureSource,
  shellCommand,
  StreamCaptureSource,
} from '../../../src-main/capture/stream-capture.ts';
import { bytesOf, gzip, pcapFile } from './capture-synth.ts';

const dir = mkdtempSync(join(tmpdir(), 'telltale-stream-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** `n` packets of 60..159 bytes, one a second from t = 1000. */
function capture(n: number): Buffer {
  return pcapFile({
    packets: Array.from({ length: n }, (_, i) => ({
      sec: 1000 + i,
      frac: 0,
      data: bytesOf(60 + (i % 100), i),
    })),
  });
}

async function collect(source: { batches(): AsyncIterable<readonly RawPacket[]> }): Promise<RawPacket[]> {
  const out: RawPacket[] = [];
  for await (const batch of source.batches()) out.push(...batch);
  return out;
}

describe('StreamCaptureSource', () => {
  it('reads a pcap stream, plain or gzip-compressed, to its end', async () => {
    const data = capture(300);
    for (const bytes of [data, gzip(data)]) {
      const source = new StreamCaptureSource('standard input', () =>
        Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]),
      );
      const packets = await collect(source);
      expect(packets).toHaveLength(300);
      expect(packets[299].ts).toBe(1299);
      expect(source.errors).toEqual([]);
    }
  });

  it('hands on each packet as it arrives, without waiting for a full batch or the end', async () => {
    const data = capture(3);
    const header = 24;
    const record = (i: number) => 16 + 60 + i;
    const stream = new PassThrough();
    const source = new StreamCaptureSource('a stream', () => stream);
    const it = source.batches()[Symbol.asyncIterator]();
    stream.write(data.subarray(0, header + record(0)));
    const first = await it.next();
    expect((first.value as RawPacket[]).map((p) => p.ts)).toEqual([1000]);
    stream.end(data.subarray(header + record(0)));
    const rest: number[] = [];
    for (let r = await it.next(); r.done !== true; r = await it.next())
      rest.push(...r.value.map((p) => p.ts));
    expect(rest).toEqual([1001, 1002]);
  });

  it('reports a stream that stalls while it waits, and keeps what came before and after', async () => {
    const data = capture(2);
    const stream = new PassThrough();
    const source = new StreamCaptureSource('a stream', () => stream, { stallSeconds: 0.3 });
    const done = collect(source);
    stream.write(data.subarray(0, 24 + 76));
    await new Promise((r) => setTimeout(r, 900));
    expect(source.errors.map((e) => [e.fatal, e.message])).toEqual([
      [
        false,
        expect.stringMatching(
          /^a stream: no data for \d+ s: the stream has stalled \(still waiting; what arrived is kept\)$/,
        ),
      ],
    ]);
    stream.end(data.subarray(24 + 76));
    expect((await done).map((p) => p.ts)).toEqual([1000, 1001]);
  });

  it('says when a stream ends before any data', async () => {
    const source = new StreamCaptureSource('standard input', () => Readable.from([]));
    expect(await collect(source)).toEqual([]);
    expect(source.errors.map((e) => [e.kind, e.fatal])).toEqual([['empty', true]]);
  });
});

describe('CommandCaptureSource', () => {
  const file = join(dir, 'home.pcap');
  writeFileSync(file, capture(500));

  it("reads a command's standard output", async () => {
    const source = new CommandCaptureSource(shellCommand(`cat '${file}'`));
    expect(await collect(source)).toHaveLength(500);
    expect(source.errors).toEqual([]);
  });

  it('says how a command failed, with the last line of its standard error, and keeps the packets before', async () => {
    const source = new CommandCaptureSource({
      file: '/bin/sh',
      args: [
        '-c',
        `head -c 1000 '${file}'; echo 'listening on br-lan' >&2; echo 'ssh: connect to host router port 22: Connection refused' >&2; exit 255`,
      ],
      label: 'ssh root@router',
    });
    const packets = await collect(source);
    expect(packets.length).toBeGreaterThan(5);
    expect(source.errors.map((e) => e.message)).toContain(
      'ssh root@router: the command ended with exit code 255: ssh: connect to host router port 22: Connection refused',
    );
  });

  it('says when the program cannot be started', async () => {
    const source = new CommandCaptureSource({
      file: join(dir, 'no-such-program'),
      args: [],
      label: 'no-such-program',
    });
    expect(await collect(source)).toEqual([]);
    expect(
      source.errors.some(
        (e) => e.fatal && /^no-such-program: cannot start the command \(ENOENT/.test(e.message),
      ),
    ).toBe(true);
  });

  it('ends the command when stopped', async () => {
    const source = new CommandCaptureSource(shellCommand(`cat '${file}'; exec sleep 30`));
    const t0 = Date.now();
    let packets = 0;
    for await (const batch of source.batches()) {
      packets += batch.length;
      if (packets >= 500) source.stop();
    }
    expect(packets).toBe(500);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(source.errors).toEqual([]);
  });
});
