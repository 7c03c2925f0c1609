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
      // no IPv6 autoconfiguration chatter: only what the caller sends crosses the pair
      run('ip', 'netns', 'exec', end.ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1');
      run('ip', 'netns', 'exec', end.ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.default.disable_ipv6=1');
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
