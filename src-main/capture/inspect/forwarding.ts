/**
 * The kernel settings inspect mode changes for its session, and puts back: IPv4 forwarding on
 * (so redirected devices keep working: the kernel forwards their packets on to the router and
 * back) and ICMP redirects off (else the kernel would tell each device to talk to the router
 * directly, undoing the redirection). Linux's /proc/sys; every value is recorded first.
 *
 * Turning `ip_forward` on or off also sets other settings (Linux's inet_forward_change):
 * `conf/all/accept_redirects` to the opposite, and `forwarding` of `conf/default` and of every
 * interface to the same. Those are recorded too and put back after `ip_forward`, so a host that
 * had, say, redirects refused keeps refusing them after the session.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { InspectError } from './home-network.ts';

/** A setting's path under /proc/sys and the value it had before the session. */
export interface SavedSetting {
  path: string;
  previous: string;
}

const IPV4 = '/proc/sys/net/ipv4';
const IFACE = /^[\w.@-]{1,15}$/;

/** The settings a session on `iface` needs, with the value each must have. */
export function forwardingSettings(iface: string): { path: string; value: string }[] {
  if (!IFACE.test(iface)) throw new InspectError(`"${iface}" is not an interface name`);
  return [
    { path: `${IPV4}/ip_forward`, value: '1' },
    { path: `${IPV4}/conf/all/send_redirects`, value: '0' },
    { path: `${IPV4}/conf/${iface}/send_redirects`, value: '0' },
  ];
}

/** Whether `path` is one a session may change and a record may ask to put back. */
export function isSessionSetting(path: string): boolean {
  const m =
    /^\/proc\/sys\/net\/ipv4\/(?:ip_forward|conf\/([^/]+)\/(?:send_redirects|accept_redirects|forwarding))$/.exec(
      path,
    );
  return m !== null && (m[1] === undefined || (IFACE.test(m[1]) && m[1] !== '.' && m[1] !== '..'));
}

export interface SettingsFiles {
  read(path: string): string;
  write(path: string, value: string): void;
  /** The interfaces with IPv4 settings (the names under conf/, with all and default). */
  interfaces(): string[];
}

const procFiles: SettingsFiles = {
  read: (path) => readFileSync(path, 'utf8').trim(),
  write: (path, value) => {
    writeFileSync(path, `${value}\n`);
  },
  interfaces: () => readdirSync(`${IPV4}/conf`),
};

export interface SettingsPlan {
  /** What to write, in order. */
  writes: { path: string; value: string }[];
  /** What to put back, in the order written here (restoreSettings goes last to first). */
  saved: SavedSetting[];
}

/**
 * What a session on `iface` writes and what it must put back: the values now, read once. Throws
 * an InspectError when they cannot be read.
 */
export function planSettings(iface: string, files: SettingsFiles = procFiles): SettingsPlan {
  try {
    const writes = forwardingSettings(iface).filter((s) => files.read(s.path) !== s.value);
    const saved: SavedSetting[] = [];
    if (writes.some((w) => w.path === `${IPV4}/ip_forward`)) {
      // what toggling ip_forward rewrites, put back after it
      const sideEffects = [
        `${IPV4}/conf/all/accept_redirects`,
        ...files
          .interfaces()
          .filter((name) => name !== 'all' && IFACE.test(name))
          .map((name) => `${IPV4}/conf/${name}/forwarding`),
      ];
      for (const path of sideEffects) saved.push({ path, previous: files.read(path) });
    }
    for (const w of writes) saved.push({ path: w.path, previous: files.read(w.path) });
    return { writes, saved };
  } catch (error) {
    if (error instanceof InspectError) throw error;
    throw new InspectError(
      `cannot read the forwarding settings (${(error as Error).message.split('\n')[0]})`,
    );
  }
}

/**
 * Makes the writes of `plan`. On a refusal it puts back everything `plan` saved and throws an
 * InspectError saying how to grant the right.
 */
export function applySettings(plan: SettingsPlan, files: SettingsFiles = procFiles): void {
  for (const s of plan.writes) {
    try {
      files.write(s.path, s.value);
    } catch (error) {
      restoreSettings(plan.saved, files);
      throw new InspectError(
        `cannot set ${s.path.replace('/proc/sys/', '').replaceAll('/', '.')} (${(error as Error).message.split('\n')[0]}): ` +
          "inspect mode must forward the devices' traffic, which needs root (run Telltale with sudo, or as a user with CAP_NET_ADMIN)",
      );
    }
  }
}

/**
 * Puts every saved setting back, last saved first; returns those that could not be, with why
 * (none when all went back). A setting whose interface has gone has nothing to put back.
 */
export function restoreSettings(
  saved: readonly SavedSetting[],
  files: SettingsFiles = procFiles,
): { setting: SavedSetting; problem: string }[] {
  const failed: { setting: SavedSetting; problem: string }[] = [];
  for (const s of [...saved].reverse()) {
    try {
      files.write(s.path, s.previous);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      failed.push({ setting: s, problem: `${s.path}: ${(error as Error).message.split('\n')[0]}` });
    }
  }
  return failed;
}
