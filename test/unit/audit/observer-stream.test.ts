/**
 * An observer's packets labelled as they come (audit/observer-stream.ts), on a synthetic home
 * pushed through the real NAPT view, feature extractor and the test models: the state it keeps
 * is bounded by the batch, the devices and the hour, not by the packets, whatever the stream's
 * length; when the rows are labelled changes no answer; the in-home sample is uniform over the
 * whole capture and counts what it was drawn from.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ObserverStream } from '../../../src-main/audit/observer-stream.ts';
import { homeSideMac } from '../../../src-main/audit/view-log.ts';
import { DeviceIdentifier } from '../../../src-main/inference/device-identifier.ts';
import { createView } from '../../../src-main/views/create-view.ts';
import { mulberry32 } from '../../../src-main/views/seeded-random.ts';
import type { ViewPacket } from '../../../src-main/views/view-packet.ts';
import { exchange, ROUTER_MAC, upPacket } from '../views/decoded-packet-factory.ts';

const MODELS = resolve(import.meta.dirname, '../../fixtures/models');
const DEVICES = [
  { mac: '02:00:00:00:01:01', ip: '192.168.1.11', up: 120, down: 90, port: 443, every: 2 },
  { mac: '02:00:00:00:01:02', ip: '192.168.1.12', up: 310, down: 70, port: 8883, every: 5 },
  { mac: '02:00:00:00:01:03', ip: '192.168.1.13', up: 900, down: 60, port: 443, every: 1 },
];

/**
 * Feeds `seconds` of the synthetic home through the NAPT view into `stream`, in pipeline batches
 * of `perBatch` view packets; `after` runs after each batch (the pipeline's afterBatch).
 */
async function feed(
  stream: ObserverStream,
  seconds: number,
  after: () => Promise<void> | undefined,
  perBatch = 1000,
): Promise<Map<string, number>> {
  const view = createView('napt');
  const random = mulberry32(5);
  const sent = new Map<string, number>();
  const next = DEVICES.map(() => 0);
  let inBatch = 0;
  const add = (vp: ViewPacket): void => {
    stream.add(vp);
    const mac = homeSideMac(vp);
    if (mac !== null) sent.set(mac, (sent.get(mac) ?? 0) + 1);
    inBatch++;
  };
  stream.startSegment(0);
  for (let t = 0; t < seconds; t += 0.5) {
    for (let i = 0; i < DEVICES.length; i++) {
      if (next[i] > t) continue;
      const d = DEVICES[i];
      const jitter = Math.round((random() - 0.5) * 8);
      for (const pkt of exchange(t, d, jitter)) view.push(pkt, -1, 0, 0, add);
      next[i] = t + d.every * (0.5 + random());
    }
    if (inBatch >= perBatch) {
      inBatch = 0;
      await after();
    }
  }
  view.flush(add);
  return sent;
}

describe('ObserverStream', () => {
  let identifier: DeviceIdentifier;
  beforeAll(async () => {
    identifier = await DeviceIdentifier.open(MODELS, 'napt');
  });
  afterAll(async () => {
    await identifier.close();
  });

  it('keeps state bounded by the batch, the devices and the hour over a long stream', async () => {
    const batchRows = 2000;
    const stream = new ObserverStream('napt', {}, { batchRows, samplePerDevice: 1500 });
    let largestLog = 0;
    const sent = await feed(stream, 2 * 86_400, () => {
      largestLog = Math.max(largestLog, stream.log.label.length);
      return stream.full ? stream.drain(identifier) : undefined;
    });
    await stream.drain(identifier, true);
    const total = [...sent.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(200_000);
    expect(stream.rows).toBe(total);
    expect(stream.labelled(true).packets).toBe(total);
    // the rows waiting never outgrow a batch and one pipeline batch (in doubling steps)
    expect(largestLog).toBeLessThanOrEqual(4096);
    expect(stream.log.rows).toBe(0);
    // the sample: at most its size per device, however many rows each sent
    const sample = stream.sample!;
    expect(sample.rows).toBeLessThanOrEqual(1500 * (DEVICES.length + 1));
    for (const d of DEVICES) expect(sample.packetsOf(d.mac)).toBe(sent.get(d.mac));
    expect(stream.labelled(true).answers.size).toBe(DEVICES.length);
    stream.release();
    expect(stream.log.label.length).toBe(1024);
    expect(stream.sample).toBeNull();
  }, 60_000);

  it('the sample is uniform over the whole capture, not its start', async () => {
    const stream = new ObserverStream('napt', {}, { batchRows: 5000, samplePerDevice: 1000 });
    const seconds = 6 * 3600;
    await feed(stream, seconds, () => (stream.full ? stream.drain(identifier) : undefined));
    await stream.drain(identifier, true);
    const log = stream.sample!.take();
    const busy = log.indexOfMac(DEVICES[2].mac);
    const ts: number[] = [];
    for (let i = 0; i < log.rows; i++) if (log.device[i] === busy) ts.push(log.ts[i]);
    expect(ts.length).toBe(1000);
    ts.sort((a, b) => a - b);
    // quartiles of a uniform sample of [0, seconds): within a few percent
    for (const q of [0.25, 0.5, 0.75])
      expect(Math.abs(ts[Math.floor(q * ts.length)] / seconds - q)).toBeLessThan(0.05);
  }, 60_000);

  it('gives the same answers whenever the rows are labelled', async () => {
    const asTheyCome = new ObserverStream('napt', {}, { batchRows: 3000 });
    await feed(asTheyCome, 3 * 3600, () => (asTheyCome.full ? asTheyCome.drain(identifier) : undefined), 700);
    await asTheyCome.drain(identifier, true);
    const atTheEnd = new ObserverStream('napt', {}, { batchRows: 3000 });
    await feed(atTheEnd, 3 * 3600, () => undefined);
    await atTheEnd.drain(identifier, true);
    const a = asTheyCome.labelled(true);
    const b = atTheEnd.labelled(true);
    expect(a.packets).toBeGreaterThan(9000);
    expect(a).toEqual(b);
    expect(asTheyCome.timelines(true)).toEqual(atTheEnd.timelines(true));
    expect(asTheyCome.categories(identifier.category)).toEqual(atTheEnd.categories(identifier.category));
  }, 60_000);

  it('labels only the rows near a device when asked (the what-ifs): far cover packets are not labelled', async () => {
    const plug = DEVICES[0];
    /** One exchange of the plug every 10 min, and cover packets (no device) 5 a second between. */
    const feedSparse = (stream: ObserverStream): { cover: number; own: number } => {
      const view = createView('napt');
      const counts = { cover: 0, own: 0 };
      const add = (vp: ViewPacket): void => {
        counts.own++;
        stream.add(vp);
      };
      stream.startSegment(0);
      for (let k = 0; k < 5 * 2 * 3600; k++) {
        const t = k / 5;
        const sent = upPacket(t, {
          srcMac: plug.mac,
          dstMac: ROUTER_MAC,
          srcIp: plug.ip,
          dstPort: plug.port,
          ipLength: 120,
        });
        if (k % 3000 === 0) view.push(sent, -1, 0, 0, add);
        else
          view.push(sent, -1, 0, 0, (vp) => {
            counts.cover++;
            stream.add({ ...vp, inner: null });
          });
      }
      view.flush(add);
      return counts;
    };
    const sparse = new ObserverStream('napt', {}, { batchRows: 4000, deviceRowsOnly: true });
    const { cover, own } = feedSparse(sparse);
    let labelled = 0;
    const original = identifier.labelRuns.bind(identifier);
    const spy = vi.spyOn(identifier, 'labelRuns').mockImplementation((features, n, ...rest) => {
      labelled += n;
      return original(features, n, ...rest);
    });
    await sparse.drain(identifier, true);
    spy.mockRestore();
    const full = new ObserverStream('napt', {}, { batchRows: 4000 });
    feedSparse(full);
    await full.drain(identifier, true);
    expect(cover).toBeGreaterThan(30_000);
    expect(own).toBe(12);
    const mine = sparse.labelled(true).answers.get(sparse.log.indexOfMac(plug.mac))!;
    const all = full.labelled(true).answers.get(full.log.indexOfMac(plug.mac))!;
    // every device row answered, as the whole labelling answers it (the test model reads one packet)
    expect(mine.reduce((a, b) => a + b, 0)).toBe(own);
    expect([...mine]).toEqual([...all]);
    expect(labelled).toBeLessThan(cover / 10);
  }, 60_000);
});
