/**
 * Where the desktop app finds its parts: the built UI, the preload bundle, the engine entry and
 * the models — inside the package when installed (models are extra resources beside the asar),
 * inside the repository when run with `npm start`. Plain code: main.ts passes Electron's facts in.
 */
import { join } from 'node:path';

export interface AppPaths {
  rendererDir: string;
  preload: string;
  engineEntry: string;
  modelsDir: string;
}

/** `appRoot` is app.getAppPath() (the repository in development, app.asar when packaged). */
export function appPaths(appRoot: string, packaged: boolean, resourcesPath: string): AppPaths {
  return {
    rendererDir: join(appRoot, 'dist', 'renderer'),
    preload: join(appRoot, 'dist', 'preload', 'preload.cjs'),
    engineEntry: join(appRoot, 'dist', 'src-main', 'engine', 'engine-entry.js'),
    modelsDir: packaged ? join(resourcesPath, 'models') : join(appRoot, 'models'),
  };
}
