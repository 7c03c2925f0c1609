/**
 * The kernel settings inspect mode changes for its session, and puts back: IPv4 forwarding on
 * (so redirected devices keep working: the kernel forwards their packets on to the router and
 * back) and ICMP redirects off (else the kernel would tell each device to talk to the router
 * directly, undoing the redirection). Linux's /proc/sys; every value changed is recorded first.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { InspectError } from './home-network.ts';

/** A setting's path under /proc/sys and the value it had before the session. */
export interface SavedSetting {
  path: string;
  previous: string;
}

/** The settings a session on `iface` needs, with the value each must have. */
export function forwardingSettings(iface: string): { path: string; value: string }[] {
  if (!/^[\w.@-]{1,15}$/.test(iface)) throw new InspectError(`"${iface}" is not an interface name`);
  return [
    { path: '/proc/sys/net/ipv4/ip_forward', value: '1' },
    { path: '/proc/sys/net/ipv4/conf/all/send_redirects', value: '0' },
    { path: `/proc/sys/net/ipv4/conf/${iface}/send_redirects`, value: '0' },
  ];
}

export interface SettingsFiles {
  read(path: string): string;
  write(path: string, value: string): void;
}

const procFiles: SettingsFiles = {
  read: (path) => readFileSync(path, 'utf8').trim(),
  write: (path, value) => {
    writeFileSync(path, `${value}\n`);
  },
};

/**
 * Sets each of `settings`, returning what each was (only those it changed). On a refusal it puts
 * back what it had already changed and throws an InspectError saying how to grant the right.
 */
export function applySettings(
  settings: readonly { path: string; value: string }[],
  files: SettingsFiles = procFiles,
): SavedSetting[] {
  const saved: SavedSetting[] = [];
  for (const s of settings) {
    try {
      const previous = files.read(s.path);
      if (previous === s.value) continue;
      files.write(s.path, s.value);
      saved.push({ path: s.path, previous });
    } catch (error) {
      restoreSettings(saved, files);
      throw new InspectError(
        `cannot set ${s.path.replace('/proc/sys/', '').replaceAll('/', '.')} (${(error as Error).message.split('\n')[0]}): ` +
          "inspect mode must forward the devices' traffic, which needs root (run Telltale with sudo, or as a user with CAP_NET_ADMIN)",
      );
    }
  }
  return saved;
}

/** Puts every saved setting back, last changed first; returns the problems (none when all went back). */
export function restoreSettings(saved: readonly SavedSetting[], files: SettingsFiles = procFiles): string[] {
  const problems: string[] = [];
  for (const s of [...saved].reverse()) {
    try {
      files.write(s.path, s.previous);
    } catch (error) {
      problems.push(`${s.path}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return problems;
}
