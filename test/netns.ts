/**
 * Two network namespaces joined by a veth pair, for tests and benchmarks that send packets: made
 * and removed by the caller, so nothing ever touches this machine's own interfaces or addresses.
 * Needs root (or CAP_NET_ADMIN) and iproute2; `makeVethPair` says why when it cannot.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NetnsEnd {
  ns: string;
  ifname: string;
  ip: string;
  mac: string;
}

export interface VethPair {
  a: NetnsEnd;
  b: NetnsEnd;
  /** Removes both namespaces (and the pair with them); safe to call twice. */
  remove(): void;
}

function run(...args: string[]): void {
  execFileSync(args[0], args.slice(1), { stdio: 'pipe' });
}

/** No IPv6 autoconfiguration chatter in `ns`: only what the caller sends crosses its links. */
function noIpv6(ns: string): void {
  for (const scope of ['all', 'default'])
    run('ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', `net.ipv6.conf.${scope}.disable_ipv6=1`);
}

/**
 * Namespaces `${tag}-a` and `${tag}-b` joined by a veth pair (`${tag}a` / `${tag}b`) on
 * 10.{subnet}.0.0/24 (.1 on a, .2 on b), or the reason they cannot be made here. `tag`: at most
 * 12 characters (interface names are at most 15).
 */
export function makeVethPair(tag: string, subnet: number): VethPair | string {
  for (const tool of ['ip'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      return `no ${tool} (apt-get install iproute2)`;
  const a: NetnsEnd = { ns: `${tag}-a`, ifname: `${tag}a`, ip: `10.${subnet}.0.1`, mac: '02:00:5e:10:00:01' };
  const b: NetnsEnd = { ns: `${tag}-b`, ifname: `${tag}b`, ip: `10.${subnet}.0.2`, mac: '02:00:5e:10:00:02' };
  const remove = (): void => {
    for (const ns of [a.ns, b.ns]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  };
  try {
    run('ip', 'netns', 'add', a.ns);
  } catch (e) {
    return `cannot make a network namespace (${(e as Error).message.split('\n')[0]}); run as root or with CAP_NET_ADMIN`;
  }
  try {
    run('ip', 'netns', 'add', b.ns);
    run(
      'ip',
      'link',
      'add',
      a.ifname,
      'netns',
      a.ns,
      'type',
      'veth',
      'peer',
      'name',
      b.ifname,
      'netns',
      b.ns,
    );
    for (const end of [a, b]) {
      run('ip', '-n', end.ns, 'link', 'set', end.ifname, 'address', end.mac);
      run('ip', '-n', end.ns, 'addr', 'add', `${end.ip}/24`, 'dev', end.ifname);
      noIpv6(end.ns);
      run('ip', '-n', end.ns, 'link', 'set', 'lo', 'up');
      run('ip', '-n', end.ns, 'link', 'set', end.ifname, 'up');
    }
  } catch (e) {
    remove();
    return `cannot set up the veth pair (${(e as Error).message.split('\n')[0]})`;
  }
  return { a, b, remove };
}

/**
 * Runs `body` with a veth pair made for it and a work folder, and removes both after; prints
 * `${what}: <why>; skipped` instead where namespaces cannot be made (benchmarks).
 */
export async function inVethPair(
  what: string,
  tag: string,
  subnet: number,
  body: (pair: VethPair, work: string) => Promise<void>,
): Promise<void> {
  const pair = makeVethPair(tag, subnet);
  if (typeof pair === 'string') {
    console.log(`${what}: ${pair}; skipped`);
    return;
  }
  const work = mkdtempSync(join(tmpdir(), `telltale-${what}-`));
  try {
    await body(pair, work);
  } finally {
    pair.remove();
    rmSync(work, { recursive: true, force: true });
  }
}

export interface LanHost extends NetnsEnd {
  /** The host's own end of its cable (its interface name inside its namespace). */
  ifname: string;
}

export interface HomeLan {
  router: LanHost;
  laptop: LanHost;
  devices: LanHost[];
  /** An address on the router standing in for the internet (it answers pings). */
  internetIp: string;
  /** Runs a command inside `ns`; returns its standard output. */
  exec(ns: string, ...args: string[]): string;
  remove(): void;
}

/**
 * A home network in namespaces: a switch (`${tag}-sw`, a bridge) joining a router (10.S.0.1,
 * which also holds 198.51.100.1, "the internet"), a laptop (10.S.0.100) and `deviceCount`
 * devices (10.S.0.11, .12, …), each with the router as its default gateway; or the reason it
 * cannot be made here. `tag`: at most 8 characters.
 */
export function makeHomeLan(tag: string, subnet: number, deviceCount = 2): HomeLan | string {
  if (spawnSync('sh', ['-c', 'command -v ip']).status !== 0) return 'no ip (apt-get install iproute2)';
  const host = (name: string, last: number, macLast: number): LanHost => ({
    ns: `${tag}-${name}`,
    ifname: 'eth0',
    ip: `10.${subnet}.0.${last}`,
    mac: `02:00:5e:${subnet.toString(16).padStart(2, '0')}:00:${macLast.toString(16).padStart(2, '0')}`,
  });
  const router = host('rt', 1, 1);
  const laptop = host('lp', 100, 0x64);
  const devices = Array.from({ length: deviceCount }, (_, i) => host(`d${i + 1}`, 11 + i, 0x11 + i));
  const sw = `${tag}-sw`;
  const all = [router, laptop, ...devices];
  const remove = (): void => {
    for (const ns of [sw, ...all.map((h) => h.ns)])
      spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  };
  const exec = (ns: string, ...args: string[]): string =>
    execFileSync('ip', ['netns', 'exec', ns, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  try {
    run('ip', 'netns', 'add', sw);
  } catch (e) {
    return `cannot make a network namespace (${(e as Error).message.split('\n')[0]}); run as root or with CAP_NET_ADMIN`;
  }
  try {
    run('ip', '-n', sw, 'link', 'add', 'br0', 'type', 'bridge');
    run('ip', '-n', sw, 'link', 'set', 'br0', 'up');
    all.forEach((h, i) => {
      run('ip', 'netns', 'add', h.ns);
      noIpv6(h.ns);
      const port = `${tag}p${i}`;
      run('ip', 'link', 'add', h.ifname, 'netns', h.ns, 'type', 'veth', 'peer', 'name', port, 'netns', sw);
      run('ip', '-n', sw, 'link', 'set', port, 'master', 'br0');
      run('ip', '-n', sw, 'link', 'set', port, 'up');
      run('ip', '-n', h.ns, 'link', 'set', h.ifname, 'address', h.mac);
      run('ip', '-n', h.ns, 'addr', 'add', `${h.ip}/24`, 'dev', h.ifname);
      run('ip', '-n', h.ns, 'link', 'set', 'lo', 'up');
      run('ip', '-n', h.ns, 'link', 'set', h.ifname, 'up');
      if (h !== router) run('ip', '-n', h.ns, 'route', 'add', 'default', 'via', router.ip);
    });
    run('ip', '-n', router.ns, 'addr', 'add', '198.51.100.1/32', 'dev', 'lo');
  } catch (e) {
    remove();
    return `cannot set up the home network (${(e as Error).message.split('\n')[0]})`;
  }
  return { router, laptop, devices, internetIp: '198.51.100.1', exec, remove };
}
