import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  GroundTruth,
  GroundTruthError,
  LABEL_NONE,
  MAX_LABELS_BYTES,
  parseLabelsCsv,
} from '../../../src-main/devices/ground-truth.ts';
import { packet } from './packet-factory.ts';

const DATASETS = path.resolve(import.meta.dirname, '../../../../shared/datasets');

/** Every labels.csv under the shared data sets (empty when they are not beside the repo). */
function labelFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...labelFiles(full));
    else if (name === 'labels.csv') out.push(full);
  }
  return out;
}

function errorOf(fn: () => unknown): GroundTruthError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GroundTruthError) return err;
    throw err;
  }
  throw new Error('expected a GroundTruthError');
}

const MADEA_LIKE = [
  'mac,device,category',
  '64:16:66:49:3e:cb,Nest Camera,camera',
  'b0:73:9c:e6:9a:b9,Blink Mini Camera,camera',
  'e6:ce:94:c8:64:43,Pixel 6 Phone,NON-IOT:phone',
  'dc:a6:32:ce:31:63,Raspberry Pi access point (capture point),NON-IOT:gateway',
].join('\n');

describe('labels.csv parsing', () => {
  it('reads header, rows and categories, leaving infrastructure out of the labels', () => {
    const gt = GroundTruth.fromCsv(MADEA_LIKE, 'madea/labels.csv');
    expect(gt.labels).toEqual(['Nest Camera', 'Blink Mini Camera', 'Pixel 6 Phone']);
    expect(gt.categories).toEqual(['camera', 'camera', 'NON-IOT:phone']);
    expect(gt.entries).toHaveLength(4);
    const ap = gt.entryOf('dc:a6:32:ce:31:63');
    expect(ap?.infrastructure).toBe(true);
    expect(ap?.labelIndex).toBe(LABEL_NONE);
    expect(gt.labelOfMac('dc:a6:32:ce:31:63')).toBe(LABEL_NONE);
    expect(gt.labelOfMac('e6:ce:94:c8:64:43')).toBe(2);
  });

  it('accepts a BOM, CRLF, quotes, white space, upper case and dashes', () => {
    const text =
      '\ufeffMAC , Device ,Category\r\n' +
      '  64-16-66-49-3E-CB , "Nest Camera, indoor" , camera \r\n' +
      '\r\n' +
      '"B0:73:9C:E6:9A:B9","Blink ""Mini""",camera\r\n' +
      'd0:73:d5:12:8e:30,"Lifx\nBulb",bulb';
    const gt = GroundTruth.fromCsv(text, 'x.csv');
    expect(gt.labels).toEqual(['Nest Camera, indoor', 'Blink "Mini"', 'Lifx\nBulb']);
    expect(gt.categories).toEqual(['camera', 'camera', 'bulb']);
    expect(gt.labelOfMac('64:16:66:49:3e:cb')).toBe(0);
    expect(gt.labelOfMac('b0:73:9c:e6:9a:b9')).toBe(1);
    expect(gt.entryOf('d0:73:d5:12:8e:30')?.line).toBe(5);
  });

  it('reads files with only mac,device (IoT Sentinel) and records shared MACs as aliases', () => {
    const text =
      'mac,device\n1c:5f:2b:aa:fd:4e,D-LinkDoorSensor\n1c:5f:2b:aa:fd:4e,D-LinkHomeHub\n00:17:88:24:76:ff,HueBridge\n00:17:88:24:76:ff,HueSwitch\n';
    const gt = GroundTruth.fromCsv(text, 'iot-sentinel/labels.csv');
    expect(gt.labels).toEqual(['D-LinkDoorSensor', 'HueBridge']);
    expect(gt.categories).toEqual(['', '']);
    expect(gt.entryOf('1c:5f:2b:aa:fd:4e')?.aliases).toEqual(['D-LinkHomeHub']);
    expect(gt.entryOf('00:17:88:24:76:ff')?.aliases).toEqual(['HueSwitch']);
  });

  it('gives two MACs of one device one label', () => {
    const gt = GroundTruth.fromCsv(
      'mac,device,category\n02:00:00:00:00:01,Phone,NON-IOT:phone\n02:00:00:00:00:02,Phone,NON-IOT:phone\n',
      'p.csv',
    );
    expect(gt.labels).toEqual(['Phone']);
    expect(gt.labelOfMac('02:00:00:00:00:02')).toBe(0);
  });

  it('never quotes the first line of a file that is not a labels file, and cuts a long field short', () => {
    const secret = 'root:$6$TELLTALE-SECRET$abc:19000:0:99999:7:::';
    const header = errorOf(() => parseLabelsCsv(`${secret}\nbin:x:1:1\n`, 'shadow'));
    expect(header.message).toMatch(
      /header must name a "mac" and a "device" column .*is this a labels file\?/,
    );
    expect(header.message).not.toContain('TELLTALE-SECRET');
    const long = errorOf(() => parseLabelsCsv(`mac,device\n${'y'.repeat(500)},x\n`, 'l.csv'));
    expect(long.message.length).toBeLessThan(120);
  });

  it('reads at most MAX_LABELS_BYTES, and only from a regular file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'telltale-labels-'));
    try {
      const big = path.join(dir, 'big.csv');
      writeFileSync(big, `mac,device\n${'#'.repeat(MAX_LABELS_BYTES)}\n`);
      await expect(GroundTruth.load(big)).rejects.toThrow(/cannot be read \(larger than 4 MiB\)/);
      expect(() => GroundTruth.loadSync(big)).toThrow(/larger than 4 MiB/);
      await expect(GroundTruth.load(dir)).rejects.toThrow(/cannot be read/);
      await expect(GroundTruth.load('/dev/zero')).rejects.toThrow(/not a regular file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['', 0, /empty/],
    ['address,name\n', 1, /header must name/],
    ['mac,device\nzz:00:00:00:00:01,Thing\n', 2, /"zz:00:00:00:00:01" is not a MAC address/],
    ['mac,device\n\n00:11:22:33:44:55,\n', 3, /no device name/],
    ['mac,device\n01:00:5e:00:00:fb,Group\n', 2, /multicast/],
    ['mac,device\n00:11:22:33:44:55,A,B\n', 2, /3 fields, but the header has 2/],
    ['mac,device\n00:11:22:33:44:55,"open\n', 2, /not closed/],
    ['mac,device\n00:11:22:33:44:55,"A" B\n', 2, /after the closing quote/],
    ['mac,device\n00:11:22:33:44:55,A "B"\n', 2, /quote in the middle/],
  ])('rejects bad input %j at line %d', (text, line, message) => {
    const err = errorOf(() => parseLabelsCsv(text, 'bad.csv'));
    expect(err.line).toBe(line);
    expect(err.message).toMatch(message);
    expect(err.message.startsWith(line > 0 ? `bad.csv:${line}: ` : 'bad.csv: ')).toBe(true);
  });

  it('loads from disk and names a missing file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'telltale-gt-'));
    const file = path.join(dir, 'labels.csv');
    writeFileSync(file, MADEA_LIKE);
    expect((await GroundTruth.load(file)).labels).toHaveLength(3);
    expect(GroundTruth.loadSync(file).source).toBe(file);
    await expect(GroundTruth.load(path.join(dir, 'missing.csv'))).rejects.toThrow(
      /missing\.csv: cannot be read/,
    );
  });
});

describe('labelOf', () => {
  const gt = GroundTruth.fromCsv(MADEA_LIKE, 'madea');
  const nest = '64:16:66:49:3e:cb';
  const blink = 'b0:73:9c:e6:9a:b9';
  const phone = 'e6:ce:94:c8:64:43';
  const gateway = 'dc:a6:32:ce:31:63';

  it('labels by source MAC first, then destination', () => {
    expect(gt.labelOf(packet({ srcMac: nest, dstMac: gateway }))).toBe(0);
    expect(gt.labelOf(packet({ srcMac: gateway, dstMac: nest }))).toBe(0);
    expect(gt.labelOf(packet({ srcMac: blink, dstMac: nest }))).toBe(1);
    expect(gt.labelOf(packet({ srcMac: nest, dstMac: blink }))).toBe(0);
    expect(gt.labelOf(packet({ srcMac: phone, dstMac: 'ff:ff:ff:ff:ff:ff' }))).toBe(2);
    expect(gt.labelOf(packet({ srcMac: '00:11:22:33:44:55', dstMac: phone }))).toBe(2);
  });

  it('never labels a packet with the gateway', () => {
    expect(gt.labelOf(packet({ srcMac: gateway, dstMac: 'ff:ff:ff:ff:ff:ff' }))).toBe(LABEL_NONE);
    expect(gt.labelOf(packet({ srcMac: gateway, dstMac: '00:11:22:33:44:55' }))).toBe(LABEL_NONE);
  });

  it('returns LABEL_NONE without MACs or for unknown ones', () => {
    expect(gt.labelOf(packet({ srcMac: null, dstMac: null }))).toBe(LABEL_NONE);
    expect(gt.labelOf(packet({ srcMac: '00:11:22:33:44:55', dstMac: '01:00:5e:00:00:fb' }))).toBe(LABEL_NONE);
  });
});

describe('the shared data sets', () => {
  const files = labelFiles(DATASETS);
  it.skipIf(files.length === 0).each(files.map((f) => [path.relative(DATASETS, f), f]))(
    'parses %s',
    (_name, file) => {
      const gt = GroundTruth.loadSync(file);
      expect(gt.labels.length).toBeGreaterThan(0);
      expect(gt.labels.length).toBe(gt.categories.length);
      expect(new Set(gt.labels).size).toBe(gt.labels.length);
      for (const e of gt.entries) {
        expect(e.mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
        if (!e.infrastructure) expect(gt.labels[e.labelIndex]).toBe(e.device);
      }
    },
  );

  it.skipIf(!existsSync(path.join(DATASETS, 'madea/labels.csv')))(
    'MADEA: 15 labels with the phone, the access point left out',
    () => {
      const gt = GroundTruth.loadSync(path.join(DATASETS, 'madea/labels.csv'));
      expect(gt.labels).toHaveLength(15);
      expect(gt.labels).toContain('Pixel 6 Phone');
      expect(gt.entryOf('dc:a6:32:ce:31:63')?.infrastructure).toBe(true);
    },
  );

  it.skipIf(!existsSync(path.join(DATASETS, 'iot-sentinel/labels.csv')))(
    'IoT Sentinel: 29 labels, two aliases',
    () => {
      const gt = GroundTruth.loadSync(path.join(DATASETS, 'iot-sentinel/labels.csv'));
      expect(gt.labels).toHaveLength(29);
      expect(gt.entryOf('1c:5f:2b:aa:fd:4e')?.device).toBe('D-LinkDoorSensor');
      expect(gt.entryOf('1c:5f:2b:aa:fd:4e')?.aliases).toEqual(['D-LinkHomeHub']);
      expect(gt.entryOf('00:17:88:24:76:ff')?.device).toBe('HueBridge');
      expect(gt.entryOf('00:17:88:24:76:ff')?.aliases).toEqual(['HueSwitch']);
    },
  );

  it.skipIf(!existsSync(path.join(DATASETS, 'extras/mud-devices/labels.csv')))(
    'mud-devices: two gateway MACs, both infrastructure',
    () => {
      const gt = GroundTruth.loadSync(path.join(DATASETS, 'extras/mud-devices/labels.csv'));
      expect(gt.labels).toEqual([
        'TP-Link Tapo P115 Plug',
        'LSC Smart Connect Mood Lamp',
        'Tuya WiFi Door Sensor',
      ]);
      expect(gt.entries.filter((e) => e.infrastructure)).toHaveLength(2);
    },
  );
});
