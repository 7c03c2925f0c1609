import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, SettingsStore } from '../../../src-main/store/settings-store.ts';
import { MAX_OVERRIDE_LENGTH, UserOverrides } from '../../../src-main/store/user-overrides.ts';

const dirs: string[] = [];
const dir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'telltale-store-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('UserOverrides', () => {
  it('keeps names and types per MAC across instances, cleaned to one line', () => {
    const d = dir();
    const a = new UserOverrides(d);
    expect(a.setName('AA-BB-CC-DD-EE-FF', ' Front\tdoor \u0007camera ')).toBe('Front door camera');
    a.setCategory('aa:bb:cc:dd:ee:ff', 'camera');
    expect(a.setName('11:22:33:44:55:66', 'x'.repeat(200))).toHaveLength(MAX_OVERRIDE_LENGTH);
    const b = new UserOverrides(d);
    expect(b.get('aa:bb:cc:dd:ee:ff')).toEqual({ name: 'Front door camera', category: 'camera' });
    b.setName('aa:bb:cc:dd:ee:ff', null);
    b.setName('11:22:33:44:55:66', '   ');
    expect(new UserOverrides(d).all()).toEqual(new Map([['aa:bb:cc:dd:ee:ff', { category: 'camera' }]]));
    expect(() => b.setName('not a mac', 'x')).toThrow(/not a MAC address/);
  });

  it('reports a damaged file instead of replacing it', () => {
    const d = dir();
    writeFileSync(join(d, 'devices.json'), '{"devices": ');
    expect(() => new UserOverrides(d)).toThrow(/devices\.json: not valid JSON/);
    expect(readFileSync(join(d, 'devices.json'), 'utf8')).toBe('{"devices": ');
  });
});

describe('SettingsStore', () => {
  it('starts from the defaults, validates updates field by field and keeps them', () => {
    const d = dir();
    const s = new SettingsStore(d);
    expect(s.get()).toEqual(DEFAULT_SETTINGS);
    expect(s.update({ theme: 'dark', defaultSpeed: 10 })).toMatchObject({ theme: 'dark', defaultSpeed: 10 });
    expect(() => s.update({ defaultSpeed: 0 })).toThrow(/defaultSpeed/);
    expect(() => s.update({ colour: 'red' } as never)).toThrow(/unknown setting "colour"/);
    expect(new SettingsStore(d).get()).toMatchObject({ theme: 'dark', defaultSpeed: 10 });
  });

  it('ignores fields another version wrote and keeps the rest', () => {
    const d = dir();
    writeFileSync(
      join(d, 'settings.json'),
      JSON.stringify({ theme: 'light', future: 1, defaultSpeed: 'warp' }),
    );
    expect(new SettingsStore(d).get()).toEqual({ ...DEFAULT_SETTINGS, theme: 'light' });
  });
});
