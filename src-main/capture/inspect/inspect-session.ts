/**
 * One inspect session: the chosen devices' traffic redirected through this computer, forwarded
 * on by the kernel, captured once, and everything put back at the end. In order, on start: a
 * restore record on disk, the watchdog, the kernel settings, then the redirection; on stop the
 * reverse. Only devices the person ticked; never the router or this computer.
 *
 * Capture: the forwarded copies (this computer's MAC, another host's address) are left out, so
 * no byte counts twice; the frames a device or the router sent to this computer's MAC get the
 * MAC they were meant for (the router's, the device's) back, so the capture reads as the one a
 * sniffer between them would take. This computer's own traffic is left out too.
 */
import { existsSync } from 'node:fs';
import { ipv4Number, ipv4NumberAt, macBytes, macNumberAt } from './arp-frame.ts';
import { MAX_INSPECTED_DEVICES } from '../../shared/inspect-mode.ts';
import { ArpRedirector, type OpenFrameLink, type RedirectorOptions } from './arp-redirector.ts';
import {
  applySettings,
  planSettings,
  restoreSettings,
  type SavedSetting,
  type SettingsFiles,
} from './forwarding.ts';
import { InspectError, onSubnet, type HomeNetwork } from './home-network.ts';
import {
  createRecord,
  newRecord,
  ownerAlive,
  readRecord,
  removeRecord,
  settleRecord,
  type Host,
  type RestoreRecord,
} from './restore-record.ts';
import type { Watchdog } from './restore-watchdog.ts';

/** Seconds after which a session whose devices sent traffic that was never forwarded is stopped. */
export const FORWARDING_CHECK_S = 5;
/** Frames from the devices that must have come in, unforwarded, before forwarding is called broken. */
const FORWARDING_CHECK_FRAMES = 20;

export interface InspectPlan {
  net: HomeNetwork;
  gateway: Host;
  devices: Host[];
  recordPath: string;
}

export interface InspectDeps {
  openLink: OpenFrameLink;
  startWatchdog: (recordPath: string, session: string) => Promise<Watchdog>;
  files?: SettingsFiles;
  redirector?: RedirectorOptions;
  /** Called once when forwarding is found broken (the session has stopped redirecting by then). */
  onProblem?: (message: string) => void;
  /**
   * Called once per inspected device seen sending IPv6 from a routable address: redirection is by
   * ARP, IPv4 only, so that device's IPv6 traffic goes to the router unseen.
   */
  onIpv6?: (device: Host, address: string) => void;
}

/** Frames counted by the capture filter's side of the session. */
export interface InspectCounts {
  /** Frames from the devices and the router that reached this computer because of the redirection. */
  redirected: number;
  /** Copies this computer forwarded on, left out of the capture. */
  forwarded: number;
}

function checkPlan(plan: InspectPlan): void {
  const { net, gateway, devices } = plan;
  if (devices.length === 0) throw new InspectError('no devices chosen to inspect');
  if (devices.length > MAX_INSPECTED_DEVICES)
    throw new InspectError(
      `at most ${MAX_INSPECTED_DEVICES} devices can be inspected at once (${devices.length} chosen)`,
    );
  const seen = new Set<string>();
  for (const d of devices) {
    if (d.mac === net.self.mac || d.ip === net.self.ip)
      throw new InspectError(`${d.ip} is this computer: it is never redirected`);
    if (d.mac === gateway.mac || d.ip === gateway.ip)
      throw new InspectError(`${d.ip} is the router: it is never inspected`);
    if (!onSubnet(net, d.ip)) throw new InspectError(`${d.ip} is not on ${net.iface}'s network`);
    if (seen.has(d.mac)) throw new InspectError(`${d.mac} is chosen twice`);
    seen.add(d.mac);
  }
  if (!onSubnet(net, gateway.ip))
    throw new InspectError(`the router ${gateway.ip} is not on ${net.iface}'s network`);
}

export class InspectSession {
  readonly counts: InspectCounts = { redirected: 0, forwarded: 0 };
  /** Inspected devices seen using IPv6 beyond their own link (MAC → an address). */
  readonly ipv6 = new Map<string, string>();
  /** Problems met while putting things back (stop). */
  restoreProblems: string[] = [];
  private readonly redirector: ArpRedirector;
  /** The inspected devices by MAC and by IPv4 address, as numbers (keepFrame makes no strings). */
  private readonly deviceByMac: Map<number, Host>;
  private readonly macOfDeviceIp: Map<number, Uint8Array>;
  private readonly selfMac: number;
  private readonly gatewayMac: number;
  private readonly gatewayMacBytes: Uint8Array;
  private readonly self: Host;
  private readonly selfIp: number;
  private checkTimer: NodeJS.Timeout | null = null;
  private stopping: Promise<string[]> | null = null;

  private constructor(
    readonly plan: InspectPlan,
    private readonly deps: InspectDeps,
    private readonly watchdog: Watchdog,
    private readonly saved: SavedSetting[],
  ) {
    this.self = plan.net.self;
    this.selfIp = ipv4Number(plan.net.self.ip);
    const macNumber = (mac: string): number => macNumberAt(macBytes(mac), 0);
    this.deviceByMac = new Map(plan.devices.map((d) => [macNumber(d.mac), d]));
    this.macOfDeviceIp = new Map(plan.devices.map((d) => [ipv4Number(d.ip), macBytes(d.mac)]));
    this.selfMac = macNumber(plan.net.self.mac);
    this.gatewayMac = macNumber(plan.gateway.mac);
    this.gatewayMacBytes = macBytes(plan.gateway.mac);
    this.redirector = new ArpRedirector(plan.net.self, plan.gateway, plan.devices, deps.redirector);
  }

  /**
   * Starts a session. Refuses while another Telltale's session is running on this network (its
   * record is the lock); a record left by one that died is put back first.
   */
  static async start(
    plan: InspectPlan,
    deps: InspectDeps,
    recover: (path: string) => Promise<string | null>,
  ): Promise<InspectSession> {
    checkPlan(plan);
    // a record left by a Telltale that died is put back before this session reads the settings
    // it will restore (else it would take that session's changes for how the computer was)
    if (existsSync(plan.recordPath)) {
      let other: RestoreRecord | null = null;
      try {
        other = readRecord(plan.recordPath);
      } catch {
        // unreadable: recover removes it
      }
      if (other !== null && ownerAlive(other))
        throw new InspectError(
          `another Telltale (process ${other.pid}) is inspecting this network: stop it first`,
        );
      await recover(plan.recordPath);
    }
    const settings = planSettings(plan.net.iface, deps.files);
    const record = newRecord({
      iface: plan.net.iface,
      selfMac: plan.net.self.mac,
      gateway: plan.gateway,
      devices: plan.devices,
      settings: settings.saved,
    });
    if (!takeRecord(plan.recordPath, record))
      throw new InspectError(
        `another inspect session holds this network's record (${plan.recordPath}): stop it first, or remove the file if none runs`,
      );
    let watchdog: Watchdog;
    try {
      watchdog = await deps.startWatchdog(plan.recordPath, record.session);
    } catch (error) {
      removeRecord(plan.recordPath);
      throw error;
    }
    try {
      applySettings(settings, deps.files);
      const session = new InspectSession(plan, deps, watchdog, settings.saved);
      session.redirector.start(deps.openLink);
      session.checkTimer = setInterval(() => {
        session.checkForwarding();
      }, 1000);
      session.checkTimer.unref();
      return session;
    } catch (error) {
      restoreSettings(settings.saved, deps.files);
      removeRecord(plan.recordPath);
      watchdog.disarm();
      throw error instanceof InspectError ? error : new InspectError((error as Error).message);
    }
  }

  /**
   * The capture filter (BPF) of the session: frames sent by the devices, the router and this
   * computer; `keepFrame` picks from those.
   */
  captureFilter(): string {
    const macs = [...this.plan.devices.map((d) => d.mac), this.plan.gateway.mac, this.self.mac];
    return macs.map((m) => `ether src ${m}`).join(' or ');
  }

  /**
   * Whether the capture keeps `frame` (rewriting its destination MAC in place where the
   * redirection changed it); counts redirected and forwarded frames.
   */
  keepFrame(frame: Uint8Array): boolean {
    if (frame.length < 14) return false;
    const src = macNumberAt(frame, 6);
    const ipv4 = frame.length >= 34 && frame[12] === 0x08 && frame[13] === 0x00;
    const srcIp = ipv4 ? ipv4NumberAt(frame, 26) : -1;
    const dstIp = ipv4 ? ipv4NumberAt(frame, 30) : -1;
    if (src === this.selfMac) {
      // this computer's own frames (and its announcements) are not the home's; the copies it
      // forwards are counted once, as they came in
      if (ipv4 && srcIp !== this.selfIp) this.counts.forwarded++;
      return false;
    }
    if (ipv4 && (dstIp === this.selfIp || srcIp === this.selfIp)) return false;
    const device = this.deviceByMac.get(src);
    if (device !== undefined && frame.length >= 54 && frame[12] === 0x86 && frame[13] === 0xdd)
      this.noteIpv6(device, frame);
    if (device === undefined && src !== this.gatewayMac) return false;
    if (macNumberAt(frame, 0) !== this.selfMac) return device !== undefined || isGroup(frame);
    if (!ipv4) return false;
    // it reached this computer because of the redirection: give it the MAC it was meant for
    const meant = this.macOfDeviceIp.get(dstIp) ?? (device !== undefined ? this.gatewayMacBytes : undefined);
    if (meant === undefined) return false;
    frame.set(meant, 0);
    this.counts.redirected++;
    return true;
  }

  /** Notes an inspected device's IPv6 source address when it is routable (not link-local, not unspecified). */
  private noteIpv6(device: Host, frame: Uint8Array): void {
    if (this.ipv6.has(device.mac)) return;
    const a = frame.subarray(22, 38);
    const linkLocal = a[0] === 0xfe && (a[1] & 0xc0) === 0x80;
    if (linkLocal || a.every((b) => b === 0) || a[0] === 0xff) return;
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((a[i] << 8) | a[i + 1]).toString(16));
    const address = groups.join(':').replace(/\b(?:0:){2,}/, ':');
    this.ipv6.set(device.mac, address);
    this.deps.onIpv6?.(device, address);
  }

  /** Counts at the start of the forwarding check's current window. */
  private checkedAt = { at: Date.now(), redirected: 0, forwarded: 0 };

  /**
   * Stops the session when, over a window of `FORWARDING_CHECK_S`, the devices' traffic came in
   * but none went on (a firewall that drops forwarded packets, or forwarding turned off under us).
   */
  private checkForwarding(): void {
    const now = Date.now();
    if (this.stopping !== null || now - this.checkedAt.at < FORWARDING_CHECK_S * 1000) return;
    const came = this.counts.redirected - this.checkedAt.redirected;
    const went = this.counts.forwarded - this.checkedAt.forwarded;
    this.checkedAt = { at: now, redirected: this.counts.redirected, forwarded: this.counts.forwarded };
    if (came < FORWARDING_CHECK_FRAMES || went > 0) return;
    this.stop().then(
      () =>
        this.deps.onProblem?.(
          `this computer received ${came} of the inspected devices' packets in ${FORWARDING_CHECK_S} s but passed none on ` +
            '(a firewall that drops forwarded traffic? on Linux: sudo iptables -P FORWARD ACCEPT, or a rule for this ' +
            'network): inspect mode stopped and gave the devices their router back, so they keep working',
        ),
      () => undefined,
    );
  }

  get active(): boolean {
    return this.stopping === null;
  }

  /**
   * Stops redirecting and puts everything back: the true ARP mappings, the kernel settings; then
   * removes the record and disarms the watchdog. Safe to call more than once; resolves with the
   * problems met.
   */
  stop(): Promise<string[]> {
    this.stopping ??= (async () => {
      if (this.checkTimer !== null) clearInterval(this.checkTimer);
      const problems = await this.redirector.stop();
      const failed = restoreSettings(this.saved, this.deps.files);
      problems.push(...failed.map((f) => f.problem));
      // what could not be put back stays on record for the next start to try again
      settleRecord(
        this.plan.recordPath,
        failed.length === 0 ? null : readRecordOrNull(this.plan.recordPath),
        failed.map((f) => f.setting).reverse(),
      );
      this.watchdog.disarm();
      this.restoreProblems = problems;
      return problems;
    })();
    return this.stopping;
  }
}

function readRecordOrNull(path: string): ReturnType<typeof readRecord> {
  try {
    return readRecord(path);
  } catch {
    return null;
  }
}

/** Creates the record at `path` when there is none (true), or false when one is there. */
function takeRecord(path: string, record: RestoreRecord): boolean {
  try {
    createRecord(path, record);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new InspectError(
      `cannot write inspect mode's restore record ${path} (${(error as Error).message}): it needs root`,
    );
  }
}

/** Broadcast or multicast destination (the group bit of the first byte). */
function isGroup(frame: Uint8Array): boolean {
  return (frame[0] & 1) === 1;
}
