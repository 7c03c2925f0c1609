/**
 * Where the bundled models live: `models/` at the package root, found from this module's location
 * so that it works from the TypeScript source (src-main/inference) and from the compiled build
 * (dist/src-main/inference) alike. Callers let the user override it (`--models DIR`).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The package root: the nearest folder above this module holding package.json. */
export function packageRoot(): string {
  let dir = import.meta.dirname;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src-main'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package root above ${import.meta.dirname}`);
    dir = parent;
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
