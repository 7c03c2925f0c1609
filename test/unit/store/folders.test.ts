import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  appPaths,
  defaultDataDir,
  defaultModelsDir,
  packageRoot,
  rendererDir,
} from '../../../src-main/store/folders.ts';

describe('folders', () => {
  it('finds the package from the source tree, with its models beside it', () => {
    expect(existsSync(join(packageRoot(), 'package.json'))).toBe(true);
    expect(existsSync(join(defaultModelsDir(), 'manifest.json'))).toBe(true);
    expect(rendererDir('/r')).toBe('/r/dist/renderer');
  });

  it('keeps the person’s data where each platform keeps application data', () => {
    expect(defaultDataDir({ XDG_DATA_HOME: '/x' }, 'linux')).toBe('/x/telltale');
    expect(defaultDataDir({}, 'linux')).toMatch(/\/\.local\/share\/telltale$/);
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\me\\AppData\\Roaming' }, 'win32')).toMatch(/telltale$/);
    expect(defaultDataDir({}, 'darwin')).toMatch(/Library\/Application Support\/telltale$/);
  });

  it('finds the desktop app’s models inside the repository, and beside the asar once packaged', () => {
    expect(appPaths('/repo', false, '/res')).toEqual({
      rendererDir: '/repo/dist/renderer',
      preload: '/repo/dist/preload/preload.cjs',
      engineEntry: '/repo/dist/src-main/engine/engine-entry.js',
      modelsDir: '/repo/models',
    });
    expect(appPaths('/opt/T/resources/app.asar', true, '/opt/T/resources').modelsDir).toBe(
      '/opt/T/resources/models',
    );
  });
});
