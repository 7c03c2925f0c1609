/**
 * electron-builder cannot run here (it downloads Electron and its tools), so this checks its
 * configuration against what the build needs: the entry points it packages exist after `npm run
 * build`, the models go along as extra resources, the native modules are unpacked from the asar,
 * and each platform leaves the other platforms' onnxruntime binaries out.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { WIDE_CATALOG_FILE } from '../../../src-main/inference/wide-catalog.ts';
import { loadManifest } from '../../../src-main/inference/model-manifest.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

interface Config {
  appId: string;
  productName: string;
  files: string[];
  extraResources: { from: string; to: string; filter: string[] }[];
  asar: boolean;
  asarUnpack: string[];
  linux: { target: string[]; files: string[] };
  deb: { depends: string[] };
  mac: { target: string[]; files: string[] };
  win: { target: string[]; files: string[] };
}

const config = load(readFileSync(join(ROOT, 'electron-builder.yml'), 'utf8')) as Config;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  main: string;
  dependencies: Record<string, string>;
  author?: { name?: string; email?: string };
  homepage?: string;
};

/** A glob of the config matches a path (enough of glob for these patterns: ** , * and {a,b}). */
function matches(glob: string, path: string): boolean {
  const re = glob
    .replace(/[.+^$()|[\]\\]/g, '\\$&')
    .replace(/\{([^}]+)\}/g, (_, alts: string) => `(${alts.split(',').join('|')})`)
    .replace(/\*\*\//g, '\uE001')
    .replace(/\*\*/g, '\uE002')
    .replace(/\*/g, '[^/]*')
    .replace(/\uE001/g, '(.*/)?')
    .replace(/\uE002/g, '.*');
  return new RegExp(`^${re}$`).test(path);
}

describe('electron-builder.yml', () => {
  it('builds the four targets of the issue', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.appId).toMatch(/^[a-z]+(\.[a-z]+)+$/);
  });

  it('packages the entry points the app starts from (they exist once built)', () => {
    const entries = [
      pkg.main,
      'dist/src-main/engine/engine-entry.js',
      'dist/preload/preload.cjs',
      'dist/renderer/index.html',
    ];
    for (const entry of entries) {
      expect(
        config.files.some((g) => matches(g, entry)),
        `${entry} is in "files"`,
      ).toBe(true);
      expect(
        config.files.some((g) => g.startsWith('!') && matches(g.slice(1), entry)),
        `${entry} is not excluded`,
      ).toBe(false);
    }
    if (existsSync(join(ROOT, 'dist/renderer/index.html'))) {
      for (const entry of entries) expect(existsSync(join(ROOT, entry)), entry).toBe(true);
    }
  });

  it('ships every bundled model and the manifest as extra resources', () => {
    const models = config.extraResources.find((r) => r.from === 'models');
    expect(models?.to).toBe('models');
    const manifest = loadManifest(join(ROOT, 'models'));
    const categoryModels = readdirSync(join(ROOT, 'models')).filter((f) => /^category-.*\.json$/.test(f));
    expect(categoryModels).toEqual(['category-napt.json', 'category-vpn.json']);
    for (const file of [
      'manifest.json',
      ...manifest.models.map((m) => m.file),
      ...categoryModels,
      WIDE_CATALOG_FILE,
    ]) {
      expect(
        models!.filter.some((g) => matches(g, file)),
        file,
      ).toBe(true);
    }
    expect(models!.filter.some((g) => matches(g, 'training/train.py'))).toBe(false);
  });

  it('unpacks every native module from the asar', () => {
    expect(config.asar).toBe(true);
    const natives = ['cap', 'onnxruntime-node'].filter((d) => d in pkg.dependencies);
    expect(natives).toEqual(['cap', 'onnxruntime-node']);
    for (const d of natives) {
      expect(
        config.asarUnpack.some((g) => matches(g, `node_modules/${d}/build/Release/x.node`)),
        d,
      ).toBe(true);
    }
    const binaries = readdirSync(join(ROOT, 'node_modules/onnxruntime-node/bin'), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.node'));
    expect(binaries.length).toBeGreaterThan(0);
    for (const b of binaries)
      expect(config.asarUnpack.some((g) => matches(g, `node_modules/onnxruntime-node/bin/${b}`))).toBe(true);
  });

  it('leaves the other platforms’ onnxruntime binaries out of each build', () => {
    const platforms = { linux: config.linux, mac: config.mac, win: config.win } as const;
    const dirs = { linux: 'linux', mac: 'darwin', win: 'win32' } as const;
    for (const [name, section] of Object.entries(platforms) as [keyof typeof dirs, { files: string[] }][]) {
      for (const [other, dir] of Object.entries(dirs)) {
        const path = `node_modules/onnxruntime-node/bin/napi-v6/${dir}/x64/onnxruntime_binding.node`;
        const excluded = section.files.some((g) => g.startsWith('!') && matches(g.slice(1), path));
        expect(excluded, `${name} build ${other === name ? 'keeps' : 'drops'} ${dir}`).toBe(other !== name);
      }
    }
  });

  it('gives the deb what it needs to build: a maintainer with an email and a homepage', () => {
    expect(pkg.author?.name).toBeTruthy();
    expect(pkg.author?.email).toMatch(/^[^@\s]+@[^@\s]+$/);
    expect(pkg.homepage).toMatch(/^https:\/\//);
  });

  it('keeps electron-builder’s own deb dependencies (its list is replaced, not extended) and adds libpcap', async () => {
    // electron-builder's default list, read from the installed version so an upgrade is noticed
    const fpm = (await import('app-builder-lib/out/targets/FpmTarget.js')) as unknown as {
      default: { prototype: { getDefaultDepends(this: unknown, target: string): string[] } };
    };
    const defaults = fpm.default.prototype.getDefaultDepends.call({}, 'deb');
    expect(defaults).toContain('libnss3');
    expect(config.deb.depends).toEqual(expect.arrayContaining([...defaults, 'libpcap0.8']));
  });
});
