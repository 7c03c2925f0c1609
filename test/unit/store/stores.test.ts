import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataFileError, readJsonDocument } from '../../../src-main/store/json-file.ts';
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

  it('moves a damaged file aside, starts with no names, says so, and loses nothing', () => {
    for (const damaged of ['{"devices": ', '[1, 2]', '{"devices": "all of them"}', '\u0000\u0001binary']) {
      const d = dir();
      writeFileSync(join(d, 'devices.json'), damaged);
      const o = new UserOverrides(d);
      expect(o.all().size).toBe(0);
      const aside = readdirSync(d).filter((f) => f.startsWith('devices.json.damaged-'));
      expect(aside, damaged).toHaveLength(1);
      expect(readFileSync(join(d, aside[0]), 'utf8')).toBe(damaged);
      expect(o.notice).toContain(`moved it aside to ${join(d, aside[0])}`);
      // what the person does next is kept in a new file
      o.setName('aa:bb:cc:dd:ee:ff', 'Lamp');
      expect(new UserOverrides(d).get('aa:bb:cc:dd:ee:ff')).toEqual({ name: 'Lamp' });
      expect(new UserOverrides(d).notice).toBeNull();
    }
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

  it('keeps a time zone this runtime knows, or null for the computer’s own', () => {
    const d = dir();
    const s = new SettingsStore(d);
    expect(s.get().timeZone).toBeNull();
    expect(s.update({ timeZone: 'Asia/Kolkata' }).timeZone).toBe('Asia/Kolkata');
    expect(() => s.update({ timeZone: 'Mars/Olympus' })).toThrow(/timeZone must be a time zone/);
    expect(() => s.update({ timeZone: 42 })).toThrow(/timeZone/);
    expect(new SettingsStore(d).get().timeZone).toBe('Asia/Kolkata');
    expect(s.update({ timeZone: null }).timeZone).toBeNull();
  });

  it('moves a damaged file aside and starts from the defaults, saying what it did', () => {
    const d = dir();
    writeFileSync(join(d, 'settings.json'), '{"theme": "dark",');
    const s = new SettingsStore(d);
    expect(s.get()).toEqual(DEFAULT_SETTINGS);
    expect(s.notice).toMatch(
      /^settings\.json was damaged: it is not valid JSON .*moved it aside to .*settings\.json\.damaged-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ and started from its defaults/,
    );
    expect(readdirSync(d).filter((f) => f.startsWith('settings.json.damaged-'))).toHaveLength(1);
  });

  it('says so when a damaged file cannot be moved aside, and still starts from the fallback', () => {
    const d = dir();
    const path = join(d, 'settings.json');
    writeFileSync(path, 'nope');
    const now = new Date('2026-12-07T05:00:00Z');
    // the name it would move the file to is taken by a folder that is not empty: the rename fails
    mkdirSync(join(d, 'settings.json.damaged-2026-12-07T05-00-00Z', 'x'), { recursive: true });
    const doc = readJsonDocument(path, { fallback: true }, () => true, now);
    expect(doc.value).toEqual({ fallback: true });
    expect(doc.notice).toMatch(
      /settings\.json is damaged: it is not valid JSON .*could not move the file aside .*copy it somewhere safe/,
    );
    expect(readFileSync(path, 'utf8')).toBe('nope');
  });

  it('leaves a file it cannot read as it is, keeps changes from it, and says so', () => {
    const d = dir();
    mkdirSync(join(d, 'settings.json')); // a folder where the file should be: EISDIR
    const s = new SettingsStore(d);
    expect(s.get()).toEqual(DEFAULT_SETTINGS);
    expect(s.notice).toMatch(/settings\.json cannot be read .*leaves the file as it is/);
    expect(() => s.update({ theme: 'dark' })).toThrow(DataFileError);
    expect(readdirSync(d)).toEqual(['settings.json']);
  });

  it('reads a file that starts with a byte-order mark', () => {
    const d = dir();
    writeFileSync(join(d, 'settings.json'), '\ufeff{"theme": "dark"}');
    const s = new SettingsStore(d);
    expect(s.get().theme).toBe('dark');
    expect(s.notice).toBeNull();
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
