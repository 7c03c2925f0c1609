/**
 * `telltale inspect IFACE`: the devices on the interface's network (an ARP sweep and listening;
 * nothing changed). With `--device` (repeated) and `--i-own-this-network`: inspect mode — the
 * chosen devices' traffic redirected through this computer and passed on, captured to a pcap
 * file for `telltale analyze`, for `--seconds` or until Ctrl-C; then everything is put back.
 */
import { closeSync, createWriteStream, openSync, writeFileSync } from 'node:fs';
import { InspectError } from '../capture/inspect/home-network.ts';
import {
  discoverOn,
  InspectCaptureSource,
  inspectPlan,
  ipv6Notice,
  startInspect,
} from '../capture/inspect/inspect-capture.ts';
import { macBytes, macNumberAt } from '../capture/inspect/arp-frame.ts';
import { inspectRecordPath } from '../capture/inspect/restore-record.ts';
import { recoverNetwork } from '../capture/inspect/restore-watchdog.ts';
import { LiveCaptureUnavailable } from '../capture/live-capture.ts';
import { LinkType } from '../capture/packet-source.ts';
import { pcapFileHeader, pcapRecord } from '../capture/pcap-writer.ts';
import { describeDiscovery } from '../devices/discovered-devices.ts';
import { INSPECT_CONSENT } from '../shared/inspect-mode.ts';
import { type CliIo, ExitCode, UsageError } from './cli-io.ts';
import { formatTable } from './format-table.ts';

export interface InspectArgs {
  iface: string;
  devices: string[];
  consent: boolean;
  seconds: number | null;
  write: string | null;
  json: string | null;
  /** Stops the session (tests; Ctrl-C otherwise). */
  signal?: AbortSignal;
}

export async function runInspect(args: InspectArgs, io: CliIo): Promise<number> {
  if (args.devices.length > 0 && !args.consent)
    throw new UsageError(
      `inspect mode changes your network while it runs:\n  - ${INSPECT_CONSENT.join('\n  - ')}\n` +
        'Give --i-own-this-network to confirm you own or administer it',
    );
  if (args.devices.length === 0 && (args.write !== null || args.seconds !== null))
    throw new UsageError('--write and --seconds need --device: without devices, inspect only lists them');
  const recordPath = inspectRecordPath();
  try {
    const recovered = await recoverNetwork(recordPath);
    if (recovered !== null) io.stderr(`${recovered}\n`);
    io.stderr(`Looking for devices on ${args.iface}…\n`);
    const started = Date.now();
    const { net, found } = await discoverOn(args.iface, { shouldStop: () => args.signal?.aborted === true });
    const devices = describeDiscovery(found, net.gatewayIp);
    if (found.noSweep !== null) io.stderr(`${found.noSweep}\n`);
    if (args.devices.length === 0) {
      io.stdout(
        formatTable(
          ['address', 'MAC', 'maker', 'name', 'role'].map((header) => ({ header })),
          [
            ...devices.map((d) => [d.ip, d.mac, d.vendor, d.name ?? '', d.role === 'router' ? 'router' : '']),
            [net.self.ip, net.self.mac, '', '', 'this computer'],
          ],
        ) + '\n',
      );
      io.stdout(
        `${devices.length} found on ${net.iface} (/${net.prefix}) in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
          'inspect some with --device ADDRESS … --i-own-this-network\n',
      );
      return ExitCode.OK;
    }
    return await inspectFor(args, io, inspectPlan(net, found, args.devices, recordPath));
  } catch (error) {
    if (error instanceof InspectError || error instanceof LiveCaptureUnavailable) {
      io.stderr(`telltale: ${error.message}\n`);
      return ExitCode.UNREADABLE;
    }
    if (error instanceof Error && /permitted|not permitted|capture/i.test(error.message)) {
      io.stderr(`telltale: ${error.message}\n`);
      return ExitCode.UNREADABLE;
    }
    throw error;
  }
}

async function inspectFor(
  args: InspectArgs,
  io: CliIo,
  plan: ReturnType<typeof inspectPlan>,
): Promise<number> {
  const found: { problem: string | null } = { problem: null };
  const stop = new AbortController();
  // the output is opened before anything on the network changes: a path that cannot be written
  // is said at once
  let fd: number | null = null;
  if (args.write !== null) {
    try {
      fd = openSync(args.write, 'w');
    } catch (error) {
      throw new UsageError(`--write ${args.write}: ${(error as Error).message}`);
    }
  }
  let session: Awaited<ReturnType<typeof startInspect>>;
  try {
    session = await startInspect(plan, {
      onProblem: (message) => {
        found.problem = message;
        stop.abort();
      },
      onIpv6: (device, address) => {
        io.stderr(`${ipv6Notice(device, address)}.\n`);
      },
    });
  } catch (error) {
    if (fd !== null) closeSync(fd);
    throw error;
  }
  const source = new InspectCaptureSource(session);
  const out = fd === null ? null : createWriteStream('', { fd });
  out?.on('error', (error) => {
    found.problem = `writing ${args.write}: ${error.message}`;
    stop.abort();
  });
  out?.write(pcapFileHeader(LinkType.ETHERNET));
  const perDevice = new Map(plan.devices.map((d) => [macNumberAt(macBytes(d.mac), 0), 0]));
  const onSignal = (): void => {
    stop.abort();
  };
  // on: a second Ctrl-C while the network is put back must not cut that short
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  args.signal?.addEventListener('abort', onSignal);
  const timer = args.seconds === null ? null : setTimeout(onSignal, args.seconds * 1000);
  stop.signal.addEventListener('abort', () => {
    source.stop();
  });
  io.stderr(
    `Inspecting ${plan.devices.map((d) => d.ip).join(', ')} through ${plan.net.iface}` +
      `${args.seconds === null ? ' until Ctrl-C' : ` for ${args.seconds} s`}…\n`,
  );
  let packets = 0;
  try {
    for await (const batch of source.batches()) {
      for (const p of batch) {
        packets++;
        for (const at of [6, 0]) {
          const mac = macNumberAt(p.bytes, at);
          const n = perDevice.get(mac);
          if (n !== undefined) perDevice.set(mac, n + 1);
        }
        out?.write(pcapRecord(p));
      }
    }
  } finally {
    if (timer !== null) clearTimeout(timer);
    source.stop();
    const problems = await session.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // a stream that failed has nothing more to write (its error is the session's problem)
    if (out !== null && out.errored === null && !out.destroyed)
      await new Promise<void>((resolve) => {
        out.end(() => {
          resolve();
        });
      });
    for (const e of source.errors) io.stderr(`telltale: ${e.message}\n`);
    io.stderr(
      problems.length === 0
        ? 'The devices and the router have their true addresses again; forwarding is as it was.\n'
        : `Putting the network back met problems: ${problems.join('; ')}\n`,
    );
  }
  const summary = {
    interface: plan.net.iface,
    packets,
    redirected: session.counts.redirected,
    forwardedCopiesLeftOut: session.counts.forwarded,
    dropped: source.stats.dropped,
    devices: plan.devices.map((d) => ({
      ...d,
      packets: perDevice.get(macNumberAt(macBytes(d.mac), 0)) ?? 0,
    })),
    problem: found.problem,
    restoreProblems: session.restoreProblems,
  };
  io.stdout(
    formatTable(
      [{ header: 'device' }, { header: 'MAC' }, { header: 'packets', align: 'right' }],
      summary.devices.map((d) => [d.ip, d.mac, String(d.packets)]),
    ) + '\n',
  );
  io.stdout(
    `${packets} packets captured (${summary.forwardedCopiesLeftOut} forwarded copies left out, ${summary.dropped} dropped)` +
      `${args.write === null ? '' : `; written to ${args.write} (telltale analyze ${args.write} --findings)`}\n`,
  );
  if (args.json !== null) {
    writeFileSync(args.json, JSON.stringify(summary, null, 2));
  }
  if (found.problem !== null) {
    io.stderr(`telltale: ${found.problem}\n`);
    return ExitCode.UNREADABLE;
  }
  return source.errors.some((e) => e.fatal) ? ExitCode.UNREADABLE : ExitCode.OK;
}
