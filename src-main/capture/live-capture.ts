/**
 * Live capture from a network interface with libpcap (the npm package `cap`), as a PacketSource:
 * the same RawPackets a capture file gives, so every later stage is the same for live and replay.
 * The only module that imports `cap`.
 *
 * `cap`'s pitfalls (ARCHITECTURE.md), handled here: it keeps a raw pointer to the buffer given to
 * `open()`, so the buffer lives as long as the capture (a field of the source); it gives no
 * timestamps (packets are stamped with the wall clock when they reach us), no original length
 * (the captured length is used; the snap length is 65535, so only jumbo frames are cut) and no
 * drop counts (the source counts what its own bounded queue drops). It needs root or the
 * CAP_NET_RAW / CAP_NET_ADMIN capabilities: a refusal becomes a `permission` error saying how to
 * grant them.
 */
import { createRequire } from 'node:module';
import { captureError } from './capture-error.ts';
import {
  emptySourceStats,
  LinkType,
  type CaptureError,
  type PacketSource,
  type RawPacket,
  type ReplayPacing,
  type SourceStats,
} from './packet-source.ts';

interface CapAddress {
  addr?: string;
  netmask?: string;
}

interface CapDevice {
  name: string;
  description?: string;
  addresses?: CapAddress[];
  flags?: string;
}

interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
  close(): void;
}

interface CapModule {
  Cap: (new () => CapHandle) & { deviceList(): CapDevice[] };
}

/** Live capture cannot work here; the message says why. */
export class LiveCaptureUnavailable extends Error {
  override name = 'LiveCaptureUnavailable';
}

let capModule: CapModule | null = null;

/**
 * Every handle and buffer ever given to libpcap, kept until the process ends: `cap` keeps raw
 * pointers to both (also after a failed open or a close, when its native object is collected), so
 * letting the garbage collector free either crashes the process. 64 KiB per capture opened.
 */
const keptForLibpcap: unknown[] = [];

/** The `cap` add-on, loaded on first use (it is a native module: it may be missing or built for another Node). */
function loadCap(): CapModule {
  if (capModule !== null) return capModule;
  try {
    capModule = createRequire(import.meta.url)('cap') as CapModule;
    return capModule;
  } catch (error) {
    throw new LiveCaptureUnavailable(capLoadAdvice((error as Error).message, process.versions.electron), {
      cause: error,
    });
  }
}

/**
 * What to do when `cap` cannot be loaded, from the loader's whole message: built for another
 * runtime (Node vs Electron: each needs its own build, and one build serves only one of them),
 * or not built / libpcap missing.
 */
export function capLoadAdvice(message: string, electronVersion: string | undefined): string {
  const detail = message.replace(/\s+/g, ' ').trim();
  if (/NODE_MODULE_VERSION|was compiled against a different Node\.js version/i.test(message)) {
    return electronVersion !== undefined
      ? `the capture library is built for Node, not for this app (${detail}). Rebuild it for the app ` +
          'with: npx electron-builder install-app-deps. That build serves only the app: the command ' +
          'line and browser mode capture live again after npm rebuild cap'
      : `the capture library is built for the desktop app, not for Node (${detail}). Rebuild it for ` +
          'the command line and browser mode with: npm rebuild cap (the desktop app then needs ' +
          'npx electron-builder install-app-deps again before it can capture live)';
  }
  return (
    `the capture library could not be loaded (${detail}); install libpcap and a C/C++ compiler ` +
    '(Debian / Ubuntu: sudo apt-get install libpcap-dev g++ make python3), then npm rebuild cap'
  );
}

export interface LiveInterface {
  name: string;
  description: string | null;
  addresses: string[];
  loopback: boolean;
  /** What capturing here shows. */
  sees: string;
}

const SEES_LOOPBACK = 'traffic between programs on this computer only';
const SEES_HOST =
  "this computer's own traffic — the whole home's only when this computer is the router or its access point, " +
  "or the interface is on a mirror port or hub (Wi-Fi in normal mode shows this computer's packets only)";

/**
 * The network interfaces libpcap can open that carry IP (those with an address), loopback last;
 * pseudo-devices (netfilter, D-Bus, Bluetooth monitors, "any") are left out.
 */
export function listInterfaces(): LiveInterface[] {
  const cap = loadCap();
  const list = cap.Cap.deviceList()
    .filter((d) => (d.addresses ?? []).some((a) => typeof a.addr === 'string'))
    .map((d) => {
      const loopback = (d.flags ?? '').includes('LOOPBACK') || d.name === 'lo' || d.name.startsWith('lo0');
      return {
        name: d.name,
        description: d.description ?? null,
        addresses: (d.addresses ?? []).map((a) => a.addr).filter((a): a is string => typeof a === 'string'),
        loopback,
        sees: loopback ? SEES_LOOPBACK : SEES_HOST,
      };
    });
  return list.sort((a, b) => Number(a.loopback) - Number(b.loopback));
}

const LINK_TYPES: Record<string, number> = {
  ETHERNET: LinkType.ETHERNET,
  NULL: LinkType.NULL,
  RAW: LinkType.RAW,
  LINKTYPE_LINUX_SLL: LinkType.LINUX_SLL,
};

export interface LiveCaptureOptions {
  /** BPF filter (tcpdump syntax); empty for everything. */
  filter?: string;
  /** Packets held while the consumer is busy (or paused); beyond it packets are dropped and counted. */
  queueLimit?: number;
  /** Most packets per batch. */
  batchSize?: number;
  /** libpcap's kernel buffer, bytes. */
  bufferBytes?: number;
}

/**
 * What the person must do when capturing is not permitted. Node (command line, browser mode) can
 * be given the capture capabilities once; the desktop app's Electron binary must never be (on
 * Linux a binary with file capabilities runs in secure mode, no longer finds the libraries beside
 * it, and Electron then does not start at all).
 */
export function permissionAdvice(
  electronVersion: string | undefined = process.versions.electron,
  platform: string = process.platform,
  execPath: string = process.execPath,
): string {
  const base = 'capturing here is not permitted';
  if (platform === 'darwin')
    return `${base}: give your user read access to /dev/bpf* (Wireshark's ChmodBPF does it once), or run as root`;
  if (platform === 'win32') return `${base}: install Npcap (npcap.com) and run Telltale again`;
  if (electronVersion !== undefined)
    return (
      `${base} for the desktop app. Record with tcpdump and open the file (sudo tcpdump -i IFACE -w ` +
      'home.pcap, then Capture ▸ Choose files…), or capture in browser mode: give Node the capture ' +
      'rights once (sudo setcap cap_net_raw,cap_net_admin=eip "$(readlink -f "$(which node)")") and ' +
      'run npm run serve. Do not setcap the Electron binary: the app then fails to start'
    );
  return (
    `${base}: give Node the capture rights once (sudo setcap cap_net_raw,cap_net_admin=eip ${execPath}), ` +
    'or run Telltale as root'
  );
}

const SNAP_LENGTH = 65535;

export class LiveCaptureSource implements PacketSource {
  readonly stats: SourceStats = emptySourceStats();
  readonly errors: CaptureError[] = [];
  private handle: CapHandle | null = null;
  /** libpcap writes each packet here; kept alive for the capture's whole life. */
  private buffer: Buffer | null = null;
  private readonly queue: RawPacket[] = [];
  private wake: (() => void) | null = null;
  private stopped = false;
  private paused = false;
  private index = 0;
  private readonly queueLimit: number;
  private readonly batchSize: number;
  /** The link type libpcap reported (LINKTYPE_*). */
  linkType: number = LinkType.ETHERNET;

  constructor(
    readonly name: string,
    private readonly options: LiveCaptureOptions = {},
  ) {
    this.queueLimit = options.queueLimit ?? 65536;
    this.batchSize = options.batchSize ?? 1024;
  }

  /** Opens the interface; a failure becomes a fatal error in `errors` (and false). */
  open(): boolean {
    if (this.handle !== null) return true;
    let cap: CapModule;
    try {
      cap = loadCap();
    } catch (error) {
      this.fail('io', (error as Error).message);
      return false;
    }
    const handle = new cap.Cap();
    const buffer = Buffer.alloc(SNAP_LENGTH);
    keptForLibpcap.push(handle, buffer);
    let link: string;
    try {
      link = handle.open(
        this.name,
        this.options.filter ?? '',
        this.options.bufferBytes ?? 10 * 1024 * 1024,
        buffer,
      );
    } catch (error) {
      const message = (error as Error).message;
      if (/permitted|permission|denied|EPERM|EACCES/i.test(message))
        this.fail('permission', permissionAdvice());
      else if (/syntax|filter/i.test(message))
        this.fail('malformed', `capture filter "${this.options.filter}": ${message}`);
      else this.fail('io', `cannot capture: ${message}`);
      return false;
    }
    const type = LINK_TYPES[link];
    if (type === undefined) {
      handle.close();
      this.fail('io', `cannot capture: link type ${link} is not supported`);
      return false;
    }
    this.linkType = type;
    this.buffer = buffer;
    this.handle = handle;
    handle.on('packet', (nbytes, truncated) => {
      this.onPacket(nbytes, truncated);
    });
    return true;
  }

  private onPacket(nbytes: number, truncated: boolean): void {
    const buffer = this.buffer;
    if (buffer === null || this.stopped) return;
    if (this.queue.length >= this.queueLimit) {
      this.stats.dropped++;
      return;
    }
    const length = Math.min(nbytes, buffer.length);
    const ts = (performance.timeOrigin + performance.now()) / 1000;
    this.queue.push({
      ts,
      caplen: length,
      origLen: truncated ? Math.max(length, nbytes) : length,
      linkType: this.linkType,
      bytes: Uint8Array.prototype.slice.call(buffer, 0, length),
      index: this.index++,
    });
    if (!this.paused) this.signal();
  }

  private fail(kind: CaptureError['kind'], message: string): void {
    this.errors.push(
      captureError(kind, { source: this.name, offset: -1, decompressed: false }, true, message),
    );
  }

  private signal(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  async *batches(): AsyncIterable<readonly RawPacket[]> {
    if (!this.open()) return;
    while (!this.stopped) {
      if (this.queue.length === 0 || this.paused) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        continue;
      }
      const batch = this.queue.splice(0, this.batchSize);
      for (const p of batch) {
        this.stats.packets++;
        this.stats.bytes += p.origLen;
      }
      yield batch;
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    try {
      this.handle?.close();
    } catch {
      // already closed
    }
    this.handle = null;
    this.signal();
    this.buffer = null; // still referenced by keptForLibpcap
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.signal();
  }

  /** A live capture has no replay speed. */
  setSpeed(_speed: ReplayPacing['speed']): void {
    // nothing to pace
  }
}
