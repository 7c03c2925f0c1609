/**
 * The entry of a worker thread module of this folder: the compiled `.js` beside the caller, or,
 * for TypeScript source, a tiny bootstrap that loads the `.ts` worker through tsx's `tsImport` (on
 * Node 20, loader hooks given by `--import` do not reach worker threads, so the worker registers
 * tsx itself).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** `name` is the worker module's file name without extension; `from` the caller's import.meta.url. */
export function workerEntry(name: string, from: string): URL {
  // a module that tsx loaded inside a worker has a query after its path (`?tsx-namespace=…`)
  if (!new URL(from).pathname.endsWith('.ts')) return new URL(`./${name}.js`, from);
  const target = new URL(`./${name}.ts`, from).href;
  // tsx's package exports map "." to dist/loader.mjs; its ESM API lives beside it.
  const loader = createRequire(from).resolve('tsx');
  const api = pathToFileURL(join(dirname(loader), 'esm/api/index.mjs')).href;
  const code =
    `const { tsImport } = await import(${JSON.stringify(api)});\n` +
    `await tsImport(${JSON.stringify(target)}, ${JSON.stringify(target)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}
