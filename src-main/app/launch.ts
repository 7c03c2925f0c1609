/**
 * `npm start`: launches the desktop app with the Electron binary the `electron` package manages.
 * The binary is downloaded by that package's install step; when it is missing (an install made
 * with ELECTRON_SKIP_BINARY_DOWNLOAD, or offline) this tries the download once and, failing that,
 * says what to do instead. Runs under Node, not Electron.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { packageRoot } from '../store/folders.ts';

const require = createRequire(import.meta.url);

function electronBinary(): string | null {
  try {
    return require('electron') as string;
  } catch {
    return null;
  }
}

let binary = electronBinary();
if (binary === null) {
  process.stderr.write("Electron's binary is not installed yet; downloading it (once)…\n");
  const installer = join(dirname(require.resolve('electron/package.json')), 'install.js');
  const env = { ...process.env };
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
  spawnSync(process.execPath, [installer], { stdio: 'inherit', env });
  binary = electronBinary();
}
if (binary === null) {
  process.stderr.write(
    'telltale: Electron could not be downloaded (is this machine offline?).\n' +
      '  The same app runs in a browser without Electron: npm run serve, then open the URL it prints.\n' +
      '  Or download Electron on a connected machine (npm ci) and copy node_modules/electron/dist here.\n',
  );
  process.exit(1);
}
const child = spawn(binary, [packageRoot()], { stdio: 'inherit' });
child.on('error', (error) => {
  process.stderr.write(
    `telltale: Electron could not be started (${error.message}).\n` +
      '  Reinstall it with npm ci, or use the same app in a browser: npm run serve.\n',
  );
  process.exit(1);
});
child.on('exit', (code, signal) => {
  process.exit(code ?? (signal === null ? 0 : 1));
});
