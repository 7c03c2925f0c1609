/**
 * The `telltale` command line end to end on real capture fixtures: in-process through `main()`
 * for output and files, and once as a real process for exit codes and stream separation.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseByteSize } from '../../src-main/cli/telltale.ts';
import { readNpy } from '../../src-main/evaluation/validation-split.ts';
import { runCli } from './run-cli.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures');
const TUYA = join(FIXTURES, 'decode/tuya-plug-active-1-600.pcap');
const TUYA_LABELS = join(FIXTURES, 'labels/ssi-tuya-plug.csv');
const XIAODU = join(FIXTURES, 'decode/xiaodu-plug-setup.pcap');
const NKU_LABELS = join(FIXTURES, 'labels/nku-lifecycle.csv');

const work = mkdtempSync(join(tmpdir(), 'telltale-cli-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

const run = runCli;

function hasNumpy(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import numpy']).status === 0;
}

describe('telltale analyze', () => {
  it('lists the devices, the gateway, per-view counts and per-label counts', async () => {
    const json = join(work, 'tuya.json');
    const r = await run(['analyze', TUYA, '--labels', TUYA_LABELS, '--json', json]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/1 file\(s\), 600 packets, 1 home device\(s\), gateway 94:83:c4:17:12:6c/);
    expect(r.out).toContain('38:1f:8d:b0:c9:01');
    expect(r.out).toContain('Tuya Smart Inc.');
    expect(r.out).toContain('Tuya Smart Power Plug');
    expect(r.out).toMatch(/napt\s+600\s+\d+\s+\d+\s+0/);
    const doc = JSON.parse(readFileSync(json, 'utf8')) as {
      packets: number;
      inventory: {
        gatewayMac: string;
        devices: { mac: string; packetsSent: number; packetsReceived: number }[];
      };
      views: Record<string, { stats: { packetsIn: number; packetsOut: number; packetsHidden: number } }>;
      files: { packets: number; errors: unknown[] }[];
    };
    expect(doc.packets).toBe(600);
    expect(doc.files[0].packets).toBe(600);
    expect(doc.files[0].errors).toEqual([]);
    expect(doc.inventory.gatewayMac).toBe('94:83:c4:17:12:6c');
    const plug = doc.inventory.devices.find((d) => d.mac === '38:1f:8d:b0:c9:01');
    // tshark -Y "eth.src==38:1f:8d:b0:c9:01" counts 437 frames, -Y "eth.dst==..." 163.
    expect(plug?.packetsSent).toBe(437);
    expect(plug?.packetsReceived).toBe(163);
    for (const view of ['lan', 'napt', 'vpn']) expect(doc.views[view].stats.packetsIn).toBe(600);
    const napt = doc.views.napt.stats;
    expect(napt.packetsOut + napt.packetsHidden).toBe(600);
    // The plug's UDP broadcasts never leave the home.
    expect(napt.packetsHidden).toBeGreaterThanOrEqual(258);
  });

  it('reads a capture stream from standard input with "-", as it reads the file', () => {
    const cli = (args: string[], input?: Buffer) =>
      spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src-main/cli/telltale.ts'), ...args], {
        input,
        encoding: 'utf8',
      });
    const fromFile = cli(['analyze', TUYA, '--no-progress']);
    const fromStdin = cli(['analyze', '-', '--no-progress'], gzipSync(readFileSync(TUYA)));
    expect(fromStdin.status).toBe(0);
    // the same devices, counts and views; only the input's name differs
    expect(fromStdin.stdout).toBe(fromFile.stdout);
    expect(fromStdin.stdout).toMatch(/600 packets/);
    const audited = cli(['analyze', '-', '--findings', '--no-progress'], readFileSync(TUYA));
    expect(audited.status).toBe(0);
    expect(audited.stderr).toMatch(/no defence what-ifs/);
    // "-" stands alone, and an empty stream says so
    expect(cli(['analyze', '-', TUYA, '--no-progress']).stderr).toMatch(/read alone/);
    const empty = cli(['analyze', '-', '--no-progress'], Buffer.alloc(0));
    expect(empty.status).toBe(2);
    expect(empty.stderr).toMatch(/standard input: the stream ended before any data came/);
  });

  it('reads gzip-compressed and misnamed captures by their content', async () => {
    const misnamed = join(work, 'capture.txt');
    writeFileSync(misnamed, gzipSync(readFileSync(XIAODU)));
    const plain = await run(['analyze', XIAODU, '--no-views']);
    const gz = await run(['analyze', misnamed, '--no-views']);
    expect(gz.code).toBe(0);
    expect(gz.out.split('\n')[0]).toBe(plain.out.split('\n')[0]);
  });

  it('keeps the packets before the damage of a cut file and warns with the byte offset', async () => {
    const cut = join(work, 'cut.pcap');
    const bytes = readFileSync(TUYA);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const r = await run(['analyze', cut, '--no-views']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: .*cut\.pcap at byte offset \d+/);
    const packets = Number(/(\d+) packets/.exec(r.out)?.[1]);
    expect(packets).toBeGreaterThan(200);
    expect(packets).toBeLessThan(600);
  });

  it('exits 2 with a clear message for a file that is not a capture', async () => {
    const junk = join(work, 'notes.pcap');
    writeFileSync(junk, 'these are not packets\n');
    const r = await run(['analyze', junk]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/notes\.pcap/);
    expect(r.err).toMatch(/error:/);
  });

  it('exits 1 for bad arguments, naming the problem', async () => {
    expect((await run([])).code).toBe(1);
    const missing = await run(['analyze', join(work, 'nope.pcap')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('nope.pcap: no such file');
    const badView = await run(['analyze', TUYA, '--views', 'lan,isp']);
    expect(badView.code).toBe(1);
    expect(badView.err).toContain('unknown view "isp"');
    const noLabels = await run(['analyze', TUYA, '--view', 'napt']);
    expect(noLabels.code).toBe(1);
    expect(noLabels.err).toContain('--view scores the model per true device and needs --labels');
    const unknownOption = await run(['analyze', TUYA, '--frobnicate']);
    expect(unknownOption.code).toBe(1);
    const badLabels = join(work, 'bad-labels.csv');
    writeFileSync(badLabels, 'mac,device,category\nnot-a-mac,thing,plug\n');
    const labels = await run(['analyze', TUYA, '--labels', badLabels]);
    expect(labels.code).toBe(1);
    expect(labels.err).toMatch(/bad-labels\.csv:2/);
    expect((await run(['frobnicate'])).code).toBe(1);
  });

  it('names the problem in one line and points at --help instead of printing the whole usage', async () => {
    const r = await run(['analyze', TUYA, '--frobnicate']);
    expect(r.err).toBe(
      `telltale: Unknown option '--frobnicate'. To specify a positional argument starting with a '-', place it at the end of the command after '--', as in '-- "--frobnicate"\n(run "telltale --help" for every command and option)\n`,
    );
    expect(r.err).not.toContain('Usage:');
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage:');
    // every exit code the program uses is documented in the usage
    expect(help.out).toMatch(/Exit codes: 0 .* 1 .* 2 .* 70 an internal\s+error/s);
  });
});

describe('telltale serve arguments', () => {
  it('refuses an --allow that is not a folder and an --upload-quota that is not a size', async () => {
    const notDir = await run(['serve', '--allow', join(work, 'no-such-folder')]);
    expect(notDir.code).toBe(1);
    expect(notDir.err).toContain('--allow');
    expect(notDir.err).toContain('no such folder');
    const quota = await run(['serve', '--upload-quota', 'lots']);
    expect(quota.code).toBe(1);
    expect(quota.err).toContain('--upload-quota: "lots" is not a size');
    expect(parseByteSize('8G', 'x')).toBe(8 * 1024 ** 3);
    expect(parseByteSize('500 MiB', 'x')).toBe(500 * 1024 ** 2);
    expect(parseByteSize('1024', 'x')).toBe(1024);
    expect(() => parseByteSize('0', 'x')).toThrow(/not a size/);
  });
});

describe('telltale dataset', () => {
  for (const view of ['lan', 'napt', 'vpn'] as const) {
    it(`writes ${view} features, labels and provenance that line up`, async () => {
      const out = join(work, `ds-${view}`);
      const r = await run(['dataset', XIAODU, TUYA, '--labels', NKU_LABELS, '--view', view, '--out', out]);
      expect(r.code).toBe(0);
      const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as {
        rows: number;
        featureNames: string[];
        labels: string[];
        files: { packets: number }[];
        view: string;
      };
      expect(meta.view).toBe(view);
      expect(meta.labels).toEqual(['Baidu Xiaodu Plug', 'Xiaobai Y2 Camera']);
      expect(meta.files.map((f) => f.packets)).toEqual([expect.any(Number), 600]);
      const features = readFileSync(join(out, 'features.npy'));
      const labels = readFileSync(join(out, 'labels.npy'));
      const headerLength = (b: Buffer): number => 10 + b.readUInt16LE(8);
      expect((features.length - headerLength(features)) / 4).toBe(meta.rows * meta.featureNames.length);
      expect((labels.length - headerLength(labels)) / 2).toBe(meta.rows);
      if (view === 'lan') expect(meta.rows).toBe(meta.files[0].packets + 600);
      else expect(meta.rows).toBeLessThan(meta.files[0].packets + 600 + 2000);
    });
  }

  it('is read by numpy with matching shapes', async (context) => {
    if (!hasNumpy()) {
      context.skip('numpy is not installed for /usr/bin/python3');
      return;
    }
    const out = join(work, 'ds-np');
    expect(
      (await run(['dataset', XIAODU, '--labels', NKU_LABELS, '--view', 'napt', '--out', out])).code,
    ).toBe(0);
    const script = `
import json, numpy as np, sys
d = sys.argv[1]
meta = json.load(open(d + '/meta.json'))
X = np.load(d + '/features.npy'); y = np.load(d + '/labels.npy'); ts = np.load(d + '/ts.npy')
fi = np.load(d + '/file_index.npy'); pi = np.load(d + '/packet_index.npy')
assert X.shape == (meta['rows'], len(meta['featureNames'])), X.shape
assert X.dtype == np.float32 and y.dtype == np.int16 and ts.dtype == np.float64
assert y.shape == ts.shape == fi.shape == pi.shape == (meta['rows'],)
assert np.isfinite(X).all() and (np.diff(ts) >= 0).all()
assert set(np.unique(y)) <= {-2, -1, 0, 1}
assert (y == 0).sum() > 0
print('ok', X.shape[0])
`;
    const result = execFileSync('/usr/bin/python3', ['-c', script, out]).toString();
    expect(result).toMatch(/^ok \d+/);
  });

  it('writes the view as the home would send it with a defence, and says what it cost', async () => {
    type Meta = {
      rows: number;
      defence: { id: string; bytesBefore: number; bytesAfter: number; dummyPackets: number } | null;
    };
    /** `telltale dataset` of the Tuya fixture's NAPT view into work/name, with `extra` options. */
    const dataset = async (name: string, ...extra: string[]) => {
      const out = join(work, name);
      const r = await run([
        'dataset',
        TUYA,
        '--labels',
        TUYA_LABELS,
        '--view',
        'napt',
        ...extra,
        '--out',
        out,
      ]);
      expect(r.code).toBe(0);
      const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as Meta;
      const column = (file: string): number[] => Array.from(readNpy(join(out, file)).data);
      return { r, meta, column };
    };
    const plain = await dataset('ds-plain');
    expect(plain.meta.defence).toBeNull();

    const padded = await dataset('ds-pad', '--defence', 'pad-64');
    expect(padded.r.out).toMatch(/^napt with pad-64: \d+ packets/);
    const meta = padded.meta;
    expect(meta.rows).toBe(plain.meta.rows);
    expect(meta.defence!.id).toBe('pad-64');
    const before = plain.column('size.npy');
    const after = padded.column('size.npy');
    expect(after.every((size, i) => size >= before[i] && (size % 64 === 0 || size === 1514))).toBe(true);
    expect(meta.defence!.bytesBefore).toBe(before.reduce((a, b) => a + b, 0));
    expect(meta.defence!.bytesAfter).toBe(after.reduce((a, b) => a + b, 0));

    const covered = await dataset('ds-cover', '--defence', 'cover-5pps');
    const coverMeta = covered.meta;
    expect(coverMeta.defence!.dummyPackets).toBeGreaterThan(0);
    expect(coverMeta.rows).toBe(plain.meta.rows + coverMeta.defence!.dummyPackets);
    const none = (labels: number[]): number => labels.filter((x) => x === -1).length;
    expect(none(covered.column('labels.npy')) - none(plain.column('labels.npy'))).toBe(
      coverMeta.defence!.dummyPackets,
    );

    const bad = await run([
      'dataset',
      TUYA,
      '--labels',
      TUYA_LABELS,
      '--view',
      'napt',
      '--defence',
      'pad-1',
      '--out',
      join(work, 'x'),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--defence: unknown defence "pad-1"/);
  });

  it('requires --labels, --view and --out', async () => {
    const r = await run(['dataset', TUYA, '--view', 'napt', '--out', join(work, 'x')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('dataset needs --labels');
    expect((await run(['dataset', TUYA, '--labels', TUYA_LABELS, '--out', join(work, 'x')])).code).toBe(1);
    expect((await run(['dataset', TUYA, '--labels', TUYA_LABELS, '--view', 'napt'])).code).toBe(1);
  });
});

describe('telltale as a process', () => {
  it('prints the report on stdout, problems on stderr, and sets the exit code', () => {
    const copy = join(work, 'proc.pcap');
    copyFileSync(TUYA, copy);
    const ok = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src-main/cli/telltale.ts'), 'analyze', copy, '--no-progress'],
      {
        cwd: ROOT,
      },
    );
    expect(ok.status).toBe(0);
    expect(ok.stdout.toString()).toContain('38:1f:8d:b0:c9:01');
    const bad = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src-main/cli/telltale.ts'), 'analyze'],
      {
        cwd: ROOT,
      },
    );
    expect(bad.status).toBe(1);
    expect(bad.stderr.toString()).toContain('no capture file given');
    expect(bad.stdout.toString()).toBe('');
  });
});

describe('telltale analyze --csv', () => {
  it('writes devices, findings and busy spans as CSV that Python reads and that agree with the JSON', async () => {
    const dir = join(work, 'csv');
    const json = join(work, 'csv.json');
    const r = await run([
      'analyze',
      TUYA,
      '--labels',
      TUYA_LABELS,
      '--findings',
      '--no-what-if',
      '--json',
      json,
      '--csv',
      dir,
      '--no-progress',
    ]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/Wrote devices\.csv, busy-spans\.csv, findings\.csv in /);
    // Python's csv module reads each file and its rows agree with the JSON
    const check = String.raw`
import csv, json, sys
d = json.load(open(sys.argv[1]))
audit, findings = d['audit'], d['findings']
rows = list(csv.DictReader(open(sys.argv[2] + '/devices.csv', newline='')))
assert [r['mac'] for r in rows] == [x['mac'] for x in audit['devices']], 'devices'
for r in rows:
    for o in audit['observers']:
        dev = next(x for x in o['devices'] if x['mac'] == r['mac'])
        assert abs(float(r[o['view'] + '_recognised_share']) - dev['identity']['recognisedShare']) < 1e-4
        assert int(r[o['view'] + '_spans_seen']) == dev['activity']['spansSeen']
        assert r[o['view'] + '_evidence'] == dev['identity']['evidence']
f = list(csv.DictReader(open(sys.argv[2] + '/findings.csv', newline='')))
assert [x['id'] for x in f] == [x['id'] for x in findings], 'findings'
assert all(x['title'] == y['title'] for x, y in zip(f, findings))
spans = list(csv.DictReader(open(sys.argv[2] + '/busy-spans.csv', newline='')))
expected = sum(len(x['truth']['spans']) for x in audit['devices']) + sum(
    len(r['inferred']['spans']) for o in audit['observers'] for r in o['devices'] if r['inferred'])
assert len(spans) == expected, (len(spans), expected)
assert len(rows) > 0 and len(f) > 0 and len(spans) > 0
print('ok', len(rows), len(f), len(spans))
`;
    const out = execFileSync('/usr/bin/python3', ['-c', check, json, dir]).toString();
    expect(out).toMatch(/^ok \d+ \d+ \d+/);
  }, 120_000);

  it('writes the inventory, and with --view each packet with its true and named device', async () => {
    const dir = join(work, 'csv-view');
    const r = await run([
      'analyze',
      TUYA,
      '--labels',
      TUYA_LABELS,
      '--view',
      'napt',
      '--csv',
      dir,
      '--no-progress',
    ]);
    expect(r.code).toBe(0);
    const devices = readFileSync(join(dir, 'devices.csv'), 'utf8').trim().split('\n');
    expect(devices[0]).toMatch(/^mac,role,vendor,name,true_label/);
    expect(devices.some((l) => l.startsWith('38:1f:8d:b0:c9:01,device,'))).toBe(true);
    const packets = readFileSync(join(dir, 'packets.csv'), 'utf8').trim().split('\n');
    expect(packets[0]).toBe('row,ts,true_label,predicted,confidence');
    expect(packets.length - 1).toBeGreaterThan(100);
    const first = packets[1].split(',');
    expect(first[0]).toBe('0');
    expect(first[2]).toBe('Tuya Smart Power Plug');
    expect(Number(first[4])).toBeGreaterThan(0);
  }, 120_000);
});
