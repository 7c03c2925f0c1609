/**
 * The import scan behind ARCHITECTURE.md's layering, over every source file (the Svelte components
 * too, which ESLint does not read): no folder of src-main imports a folder of a higher layer, the
 * shared contract imports nothing else of the project, the preload bridge and the renderer import
 * only the shared contract, and electron, onnxruntime-node and cap are each imported by their one
 * owner. ESLint enforces the same rules on the TypeScript files (eslint.config.js holds the layers).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '../..');
/** The layers, from the linter's own configuration (one list for both checks). */
const { LAYERS } = (await import(pathToFileURL(join(ROOT, 'eslint.config.js')).href)) as {
  LAYERS: readonly (readonly string[])[];
};

/** Every .ts / .svelte file under `dir`, relative to the repository. */
function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true })
    .map(String)
    .filter((f) => /\.(ts|svelte)$/.test(f))
    .map((f) => join(dir, f));
}

/** The specifiers a file imports (static, dynamic and type-only alike). */
function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const found = [
    ...text.matchAll(
      /(?:^|[\s;])(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm,
    ),
  ].map((m) => m[1] ?? m[2]);
  // require('x') and createRequire(…)('x') of the owned native packages
  for (const m of text.matchAll(/\(\s*['"](electron|onnxruntime-node|cap)['"]\s*\)/g)) found.push(m[1]);
  return found;
}

/** The src-main folder a repository path lies in ('' when outside src-main). */
function folderOf(path: string): string {
  const parts = path.split('/');
  return parts[0] === 'src-main' ? (parts[1] ?? '') : '';
}

const layerOf = new Map<string, number>(LAYERS.flatMap((layer, i) => layer.map((f) => [f, i] as const)));

interface Edge {
  from: string;
  to: string;
}

/** Every import of one project file by another (resolved to repository paths), and every package import. */
function edges(): { local: Edge[]; packages: Edge[] } {
  const local: Edge[] = [];
  const packages: Edge[] = [];
  for (const file of [...sources('src-main'), ...sources('src-renderer')]) {
    for (const spec of imports(file)) {
      if (spec.startsWith('.'))
        local.push({ from: file, to: relative(ROOT, resolve(ROOT, dirname(file), spec)) });
      else packages.push({ from: file, to: spec });
    }
  }
  return { local, packages };
}

describe('the layers of the code', () => {
  const { local, packages } = edges();

  it('finds the imports it scans (the scan itself works)', () => {
    expect(local.length).toBeGreaterThan(300);
    expect(local).toContainEqual({ from: 'src-main/engine/engine.ts', to: 'src-main/engine/session.ts' });
    expect(packages).toContainEqual({ from: 'src-main/capture/live-capture.ts', to: 'node:module' });
  });

  it('knows every folder of src-main', () => {
    const folders = new Set(sources('src-main').map(folderOf));
    const unknown = [...folders].filter((f) => !layerOf.has(f) && f !== 'shared' && f !== 'preload');
    expect(unknown).toEqual([]);
  });

  it('has no folder importing one of a higher layer', () => {
    const upward = local.filter((e) => {
      const a = layerOf.get(folderOf(e.from));
      const b = layerOf.get(folderOf(e.to));
      return a !== undefined && b !== undefined && b > a;
    });
    expect(upward.map((e) => `${e.from} → ${e.to}`)).toEqual([]);
  });

  it('keeps the shared contract, the preload bridge and the renderer to the shared contract', () => {
    const wrong = local.filter((e) => {
      const from = folderOf(e.from);
      const to = folderOf(e.to);
      if (from === 'shared') return to !== 'shared';
      if (from === 'preload') return to !== 'preload' && to !== 'shared';
      if (e.from.startsWith('src-renderer/')) return !e.to.startsWith('src-renderer/') && to !== 'shared';
      return false;
    });
    expect(wrong.map((e) => `${e.from} → ${e.to}`)).toEqual([]);
  });

  it('imports electron, onnxruntime-node and cap from their one owner only', () => {
    const owners: Record<string, (file: string) => boolean> = {
      electron: (f) => f.startsWith('src-main/app/') || f.startsWith('src-main/preload/'),
      'onnxruntime-node': (f) => f.startsWith('src-main/inference/'),
      cap: (f) => f === 'src-main/capture/live-capture.ts',
    };
    const stray = packages.filter((e) => e.to in owners && !owners[e.to](e.from));
    expect(stray.map((e) => `${e.from} imports ${e.to}`)).toEqual([]);
  });
});
