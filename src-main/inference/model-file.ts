/**
 * Reading an optional JSON model file of the models folder (the category models, the wider
 * catalog): null when there is none, an error that names the file when it is not JSON.
 */
import { readFileSync } from 'node:fs';

export function readOptionalModelFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(
      `${path}: not a model file (${(e as Error).message}); run npm run eval to write it again`,
      { cause: e },
    );
  }
}
