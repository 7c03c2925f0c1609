/**
 * Where Telltale's files are, in one place: the package (its bundled models and the built UI,
 * found from this module's location so that it works from the TypeScript source and from the
 * compiled build alike), the datasets beside the repository, the person's data folder (device
 * names and types, settings, browser-mode uploads), and the desktop app's parts once packaged.
 * Callers let the person override each (`--models DIR`, `--datasets DIR`, `--data DIR`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** The package root: the nearest folder above this module holding package.json and src-main. */
export function packageRoot(): string {
  let dir = import.meta.dirname;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src-main'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package root above ${import.meta.dirname}`);
    dir = parent;
  }
}

/** Telltale's version, from the package's package.json ('unknown' when it cannot be read). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The bundled models folder (`<package root>/models`). */
export function defaultModelsDir(): string {
  return join(packageRoot(), 'models');
}

/** The shared datasets folder beside the repository (`<package root>/../shared/datasets`). */
export function defaultDatasetsDir(): string {
  return join(packageRoot(), '..', 'shared', 'datasets');
}

/** The built UI (`npm run build`): `<root>/dist/renderer`. */
export function rendererDir(root: string = packageRoot()): string {
  return join(root, 'dist', 'renderer');
}

/**
 * The person's data folder: `$XDG_DATA_HOME/telltale` or `~/.local/share/telltale` on Linux,
 * `~/Library/Application Support/telltale` on macOS, `%APPDATA%\telltale` on Windows. The
 * desktop app uses Electron's userData folder instead.
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: string = process.platform,
): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'telltale');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'telltale');
  const xdg = env.XDG_DATA_HOME;
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.local', 'share'), 'telltale');
}

/** Where the desktop app finds its parts. */
export interface AppPaths {
  rendererDir: string;
  preload: string;
  engineEntry: string;
  modelsDir: string;
}

/**
 * The desktop app's parts: inside the package when installed (models are extra resources beside
 * the asar), inside the repository when run with `npm start`. `appRoot` is app.getAppPath() (the
 * repository in development, app.asar when packaged).
 */
export function appPaths(appRoot: string, packaged: boolean, resourcesPath: string): AppPaths {
  return {
    rendererDir: rendererDir(appRoot),
    preload: join(appRoot, 'dist', 'preload', 'preload.cjs'),
    engineEntry: join(appRoot, 'dist', 'src-main', 'engine', 'engine-entry.js'),
    modelsDir: packaged ? join(resourcesPath, 'models') : join(appRoot, 'models'),
  };
}
