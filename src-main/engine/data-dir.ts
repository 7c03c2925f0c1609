/**
 * Where Telltale keeps what it learns from the person (device names and types, settings, uploaded
 * captures in browser mode): `$XDG_DATA_HOME/telltale` or `~/.local/share/telltale` on Linux,
 * `~/Library/Application Support/telltale` on macOS, `%APPDATA%\telltale` on Windows. The desktop
 * app uses Electron's userData folder instead; both take an explicit folder first.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: string = process.platform,
): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'telltale');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'telltale');
  const xdg = env.XDG_DATA_HOME;
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.local', 'share'), 'telltale');
}
