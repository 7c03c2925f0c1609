/**
 * Live capture from a network interface with libpcap (the npm package `cap`), as a PacketSource:
 * the same RawPackets a capture file gives, so every later stage is the same for live and replay.
 * The only module that imports `cap`.
 *
 * `cap`'s pitfalls (ARCHITECTURE.md), handled here: it keeps a raw pointer to the buffer given to
 * `open()`, so the buffer lives as long as the capture (a field of the source). As published it
 * gives no timestamps, no original length and no drop counts; our small patch
 * (src-main/capture/patches/cap+0.2.1.patch, applied at install by patch-package) adds libpcap's
 * own timestamp and the length on the wire to each packet, `stats()` (pcap_stats), and a "failed"
 * event where published cap aborts the whole process (its interface went away). With a
 * build without it, packets are stamped with the wall clock when they reach JavaScript — which
 * bunches packets that arrive together (test/bench/live-timestamps.ts measures by how much) — and
 * only our own queue's drops are counted; `timestamps` says which. It needs root or the
 * CAP_NET_RAW / CAP_NET_ADMIN capabilities: a refusal becomes a `permission` error saying how to
 * grant them.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { captureError } from './capture-error.ts';
import { DUMPCAP_ADVICE } from './dumpcap.ts';
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
  /** `ts` (seconds) and `wireLength`: from libpcap's packet header, with our patch only. */
  on(
    event: 'packet',
    listener: (nbytes: number, truncated: boolean, ts?: number, wireLength?: number) => void,
  ): void;
  /** The socket failed (its interface went away), with our patch only; nothing more arrives. */
  on(event: 'failed', listener: (reason: string) => void): void;
  close(): void;
  send(buffer: Buffer, nBytes?: number): void;
  /** pcap_stats, with our patch only (null when the handle is closed). */
  stats?: () => { received: number; dropped: number; ifdropped: number } | null;
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

/** Raw Ethernet frames to and from one interface (inspect mode's ARP). */
export interface FrameChannel {
  /** Sends one whole frame; throws where the interface refuses it. */
  send(frame: Uint8Array): void;
  close(): void;
}

/**
 * Opens `iface` for sending raw frames and hands every frame that matches `filter` (BPF) to
 * `onFrame` (a copy, with libpcap's timestamp in seconds where the build has it). Throws
 * `LiveCaptureUnavailable` when `cap` cannot be loaded, and an Error whose message says how to
 * grant the rights when opening is refused.
 */
export function openFrameChannel(
  iface: string,
  filter: string,
  onFrame: (frame: Uint8Array, ts: number) => void,
): FrameChannel {
  const cap = loadCap();
  const handle = new cap.Cap();
  const buffer = Buffer.alloc(SNAP_LENGTH);
  keptForLibpcap.push(handle, buffer);
  let link: string;
  try {
    link = handle.open(iface, filter, 1024 * 1024, buffer);
  } catch (error) {
    const message = (error as Error).message;
    throw new Error(
      /permitted|permission|denied|EPERM|EACCES/i.test(message) ? permissionAdvice() : message,
      {
        cause: error,
      },
    );
  }
  if (link !== 'ETHERNET') {
    handle.close();
    throw new Error(`${iface} is not an Ethernet or Wi-Fi interface (its link type is ${link})`);
  }
  let open = true;
  handle.on('failed', () => {
    // the interface went away: sending fails from now on, and says so
    open = false;
    try {
      handle.close();
    } catch {
      // already closed
    }
  });
  handle.on('packet', (nbytes, _truncated, ts) => {
    if (!open) return;
    const stamp = typeof ts === 'number' && ts > 0 ? ts : Date.now() / 1000;
    onFrame(Uint8Array.prototype.slice.call(buffer, 0, Math.min(nbytes, buffer.length)), stamp);
  });
  return {
    send(frame) {
      if (!open) throw new Error(`${iface} is closed or gone`);
      handle.send(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength), frame.byteLength);
    },
    close() {
      if (!open) return;
      open = false;
      try {
        handle.close();
      } catch {
        // already closed
      }
    },
  };
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
  /**
   * 'libpcap' (default): libpcap's timestamps where the build has them; 'wall-clock': the time
   * each packet reaches JavaScript, always (for measuring what that costs).
   */
  clock?: 'libpcap' | 'wall-clock';
  /**
   * Sees each captured frame before it is queued; may rewrite its bytes in place, and returns
   * false to leave it out (inspect mode: the copies this computer forwards, and the addresses
   * redirection changed).
   */
  transform?: (frame: Uint8Array) => boolean;
}

/** Where a live capture's timestamps come from. */
export type LiveTimestamps = 'libpcap' | 'wall-clock';

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
      `${base} for the desktop app. Telltale captures through Wireshark's dumpcap when it may: ${DUMPCAP_ADVICE}. ` +
      'Or record with tcpdump and open the file (sudo tcpdump -i IFACE -w home.pcap, then Capture ▸ ' +
      'Choose files…). Do not setcap the Electron binary: the app then fails to start'
    );
  return (
    `${base}: ${DUMPCAP_ADVICE}; or give Node the capture rights once (sudo setcap ` +
    `cap_net_raw,cap_net_admin=eip ${execPath}), or run Telltale as root`
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
  /** The capture library could not be loaded in this process (not built, or built for another runtime). */
  libraryMissing = false;
  /** Where the timestamps come from (known from the first packet; null before). */
  timestamps: LiveTimestamps | null = null;
  /** Packets our own queue dropped (the consumer fell behind), and those libpcap or the kernel / interface dropped. */
  queueDropped = 0;
  pcapDropped = 0;

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
      this.libraryMissing = true;
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
    const wallClock = this.options.clock === 'wall-clock';
    handle.on('packet', (nbytes, truncated, ts, wireLength) => {
      this.onPacket(nbytes, truncated, wallClock ? undefined : ts, wireLength);
    });
    handle.on('failed', (reason) => {
      // what arrived is kept; the capture ends here
      this.fail(
        'io',
        `capture on ${this.name} stopped: the interface failed (${reason}); was it unplugged or turned off?`,
      );
      this.stop();
    });
    return true;
  }

  private onPacket(nbytes: number, truncated: boolean, pcapTs?: number, wireLength?: number): void {
    const buffer = this.buffer;
    if (buffer === null || this.stopped) return;
    if (this.queue.length >= this.queueLimit) {
      // no pcap_stats call per packet while overloaded: the next batch asks libpcap
      this.queueDropped++;
      this.stats.dropped = this.queueDropped + this.pcapDropped;
      return;
    }
    const length = Math.min(nbytes, buffer.length);
    const fromPcap = typeof pcapTs === 'number' && Number.isFinite(pcapTs) && pcapTs > 0;
    this.timestamps ??= fromPcap ? 'libpcap' : 'wall-clock';
    const ts = fromPcap ? pcapTs : (performance.timeOrigin + performance.now()) / 1000;
    const bytes = Uint8Array.prototype.slice.call(buffer, 0, length);
    if (this.options.transform !== undefined && !this.options.transform(bytes)) return;
    this.queue.push({
      ts,
      caplen: length,
      origLen:
        typeof wireLength === 'number' && wireLength >= length
          ? wireLength
          : truncated
            ? Math.max(length, nbytes)
            : length,
      linkType: this.linkType,
      bytes,
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
      this.countDrops();
      yield batch;
    }
  }

  /** Our queue's drops and, where the build has pcap_stats, libpcap's and the interface's, into `stats.dropped`. */
  private countDrops(): void {
    try {
      const s = this.handle?.stats?.() ?? null;
      if (s !== null) this.pcapDropped = s.dropped + s.ifdropped;
    } catch {
      // a closing handle has no statistics
    }
    this.stats.dropped = this.queueDropped + this.pcapDropped;
  }

  stop(): void {
    if (this.stopped) return;
    this.countDrops();
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

/**
 * The interfaces dumpcap can capture on (`dumpcap -D`: "1. eth0", "3. lo (Loopback)"), pseudo
 * devices left out; null when it cannot say. It knows no addresses.
 */
export function dumpcapInterfaces(dumpcap: string): LiveInterface[] | null {
  let out: string;
  try {
    out = execFileSync(dumpcap, ['-D'], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return null;
  }
  const list: LiveInterface[] = [];
  for (const line of out.split('\n')) {
    const m = /^\d+\.\s+(\S+)(?:\s+\((.*)\))?/.exec(line.trim());
    if (
      m === null ||
      /^(any|nflog|nfqueue|dbus|bluetooth|usbmon|ciscodump|dpauxmon|randpkt|sdjournal|sshdump|udpdump|wifidump)/.test(
        m[1],
      )
    )
      continue;
    const loopback = m[1] === 'lo' || /loopback/i.test(m[2] ?? '');
    list.push({
      name: m[1],
      description: m[2] ?? null,
      addresses: [],
      loopback,
      sees: loopback ? SEES_LOOPBACK : SEES_HOST,
    });
  }
  return list.sort((a, b) => Number(a.loopback) - Number(b.loopback));
}
