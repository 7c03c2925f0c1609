/**
 * Inspect mode put together for a caller (the engine, the command line): discovery on an
 * interface, a session for the devices the person chose, and the live capture of what the
 * session redirects, which ends the session when it stops.
 */
import { confirmHosts, discover, type Discovery } from './discovery.ts';
import { homeNetwork, InspectError, routerClaimed, type HomeNetwork } from './home-network.ts';
import { InspectSession, type InspectDeps, type InspectPlan } from './inspect-session.ts';
import { recoverNetwork, startWatchdog } from './restore-watchdog.ts';
import { LiveCaptureSource, openFrameChannel, type LiveCaptureOptions } from '../live-capture.ts';
import type { Host } from './restore-record.ts';
import type { OpenFrameLink } from './arp-redirector.ts';

/** Opens raw-frame links on `iface` through libpcap. */
export function frameLinks(iface: string): OpenFrameLink {
  return (filter, onFrame) =>
    openFrameChannel(iface, filter, (frame) => {
      onFrame(frame);
    });
}

/** Finds the devices on `iface`'s network; changes nothing. */
export async function discoverOn(
  iface: string,
  options: { listenMs?: number; shouldStop?: () => boolean } = {},
): Promise<{ net: HomeNetwork; found: Discovery }> {
  const net = homeNetwork(iface);
  try {
    const found = await discover(net, (filter, onFrame) => openFrameChannel(iface, filter, onFrame), options);
    return { net, found };
  } catch (error) {
    if (error instanceof Error && /not permitted/.test(error.message))
      throw new InspectError(INSPECT_NEEDS_ROOT, { cause: error });
    throw error;
  }
}

/**
 * What to do when inspect mode may not send: unlike capturing (which Wireshark's dumpcap can do
 * for a group), it sends ARP and changes the kernel's forwarding, which only root may.
 */
export const INSPECT_NEEDS_ROOT =
  'inspect mode sends ARP frames and turns on forwarding, which needs root: run the command line as ' +
  'root (sudo telltale inspect …) or browser mode as root (sudo telltale serve); the desktop app, ' +
  'which runs as you, cannot inspect. Capturing on your router over SSH needs no root';

/**
 * The plan for inspecting `chosen` (MAC or IP addresses) from `found`: each must have been found,
 * and the router must have answered (its MAC is needed to pass traffic on and to restore).
 */
export function inspectPlan(
  net: HomeNetwork,
  found: Pick<Discovery, 'hosts'>,
  chosen: readonly string[],
  recordPath: string,
): InspectPlan {
  if (net.gatewayIp === null)
    throw new InspectError(
      `${net.iface} has no default gateway: inspect mode redirects devices' traffic to the router, and there is none`,
    );
  const claims = found.hosts.filter((h) => h.ip === net.gatewayIp);
  if (claims.length === 0)
    throw new InspectError(
      `the router (${net.gatewayIp}) did not answer: try again, or check that ${net.iface} is on the home network`,
    );
  if (claims.length > 1)
    throw new InspectError(
      routerClaimed(
        net.gatewayIp,
        claims.map((h) => h.mac),
      ),
    );
  const gateway = claims[0];
  const devices: Host[] = chosen.map((c) => {
    const key = c.trim().toLowerCase();
    const h = found.hosts.find((x) => x.mac === key || x.ip === key);
    if (h === undefined) throw new InspectError(`${c} was not found on the network (look for devices first)`);
    return h;
  });
  return { net, gateway, devices, recordPath };
}

/** A live capture of an inspect session's traffic; stopping it ends the session (everything put back). */
export class InspectCaptureSource extends LiveCaptureSource {
  constructor(
    readonly session: InspectSession,
    options: Omit<LiveCaptureOptions, 'filter' | 'transform'> = {},
  ) {
    super(session.plan.net.iface, {
      ...options,
      filter: session.captureFilter(),
      transform: (frame) => session.keepFrame(frame),
    });
  }

  override stop(): void {
    super.stop();
    // its problems are the session's restoreProblems
    this.session.stop().catch(() => undefined);
  }
}

/**
 * Starts inspecting as `plan` says, after asking the chosen devices and the router again (an
 * address handed to another device since the list was made is refused); `hear` gets what is
 * found while it runs: forwarding broken (the session has put everything back by then), a device
 * using IPv6 (not redirected).
 */
export async function startInspect(
  plan: InspectPlan,
  hear: Pick<InspectDeps, 'onProblem' | 'onIpv6'> = {},
): Promise<InspectSession> {
  const iface = plan.net.iface;
  await confirmHosts(plan.net, plan.gateway, plan.devices, (filter, onFrame) =>
    openFrameChannel(iface, filter, onFrame),
  );
  return InspectSession.start(plan, { openLink: frameLinks(iface), startWatchdog, ...hear }, (path) =>
    recoverNetwork(path),
  );
}

/** What to tell the person when an inspected device uses IPv6 (inspect mode redirects IPv4 only). */
export function ipv6Notice(device: Host, address: string): string {
  return (
    `${device.ip} also talks IPv6 (from ${address}): inspect mode redirects IPv4 only, so its IPv6 ` +
    "traffic goes to the router unseen and this audit covers part of the device's traffic. Capturing on the router sees all of it"
  );
}
