/**
 * The audit's first pass (see home-audit.ts): fed packet by packet by the capture pipeline, it
 * keeps each device's truth timeline, traffic metadata and rates, and each observer's stream of
 * packets (audit/observer-stream.ts), which the observer's model labels a batch at a time as the
 * pipeline reads when the hooks are given the models; `finish` labels what is left and measures
 * the exposures. Memory follows devices, hours and the batch, not the capture's packets.
 */
import { activityConfig, type ActivityConfig } from '../activity/activity-config.ts';
import { DeviceRates } from '../activity/device-rates.ts';
import { HomeActivity } from '../activity/home-activity.ts';
import { UncountedPackets } from '../activity/uncounted-packets.ts';
import type { CoveredTime } from '../activity/timeline-agreement.ts';
import type { DeviceIdentifier } from '../inference/device-identifier.ts';
import type { ModelView } from '../inference/model-manifest.ts';
import { Direction, type ViewName, type ViewPacket } from '../views/view-packet.ts';
import {
  OBSERVER_NAMES,
  type AuditProgress,
  type DeviceAudit,
  type HomeAudit,
  type InHomeObserver,
  type ObserverAudit,
  type WhatIf,
  type WhatIfRequest,
} from './audit-types.ts';
import type { CaptureAnalysis, CaptureAnalysisOptions } from './capture-analysis.ts';
import {
  auditedDevices,
  captureCoverage,
  EMPTY_TIMELINE,
  hostNamesByMac,
  observerAudit,
} from './exposure.ts';
import { ObserverStream, type ObserverStreamOptions } from './observer-stream.ts';
import { TrafficMetadata } from './traffic-metadata.ts';
import type { ViewLog } from './view-log.ts';
import { ForestCancelled } from '../inference/forest-runner.ts';
import { measureInHomeObserver, type InHomeRequest } from './in-home-observer.ts';
import { runWhatIfs } from './what-ifs.ts';

/**
 * The audit's first pass as something a packet pipeline feeds: pass `hooks()` to analyzeCaptures
 * (the CLI, a replay in the app), then `finish` with the analysis. While packets flow, `truth`
 * holds each device's timeline so far and `rates` its traffic per minute.
 */
export class AuditCollector {
  readonly observers: readonly ModelView[];
  readonly config: ActivityConfig;
  readonly truth: HomeActivity<string>;
  readonly metadata = new TrafficMetadata();
  readonly rates = new DeviceRates();
  /** Which of the devices' packets are no busy volume (activity/uncounted-packets.ts). */
  private readonly uncounted = new UncountedPackets<string>();
  readonly streams: Map<ModelView, ObserverStream>;
  /** Whether `finish` trains the in-home observers (audit/in-home-observer.ts). */
  measureInHome = true;
  private readonly aborter = new AbortController();

  constructor(
    observers: readonly ModelView[],
    activity: Partial<ActivityConfig> = {},
    streamOptions: ObserverStreamOptions = {},
  ) {
    this.observers = observers;
    this.config = activityConfig(activity);
    this.truth = new HomeActivity<string>(this.config);
    this.streams = new Map(observers.map((v) => [v, new ObserverStream(v, this.config, streamOptions)]));
  }

  /**
   * Each observer's rows not labelled yet: every row, when the hooks were given no models (the
   * evaluation reads them whole).
   */
  get logs(): Map<ModelView, ViewLog<ModelView>> {
    return new Map([...this.streams].map(([v, s]) => [v, s.log]));
  }

  /** Views analyzeCaptures must run for the audit. */
  get views(): ViewName[] {
    return ['lan', ...this.observers];
  }

  /**
   * The pipeline's hooks. With the observers' models, each observer's rows are labelled a batch at
   * a time while the pipeline waits (`afterBatch`); without, they are kept until `finish`.
   */
  hooks(
    identifiers?: ReadonlyMap<ModelView, DeviceIdentifier>,
  ): Required<Pick<CaptureAnalysisOptions, 'onPacket' | 'onViewPacket' | 'onSegmentStart'>> &
    Pick<CaptureAnalysisOptions, 'afterBatch'> {
    const streams = [...this.streams.values()];
    return {
      afterBatch:
        identifiers === undefined
          ? undefined
          : () => {
              const drains: Promise<void>[] = [];
              for (const s of streams) {
                const identifier = identifiers.get(s.view);
                if (identifier !== undefined && s.full) drains.push(s.drain(identifier));
              }
              return drains.length === 0 ? undefined : Promise.all(drains).then(() => undefined);
            },
      onPacket: (pkt) => {
        this.metadata.observe(pkt);
      },
      onViewPacket: (view, vp) => {
        if (view === 'lan') this.addTruth(vp);
        else this.streams.get(view)?.add(vp);
      },
      onSegmentStart: (segment) => {
        for (const stream of this.streams.values()) stream.startSegment(segment);
      },
    };
  }

  /** A LAN packet counts for both of its ends inside the home, or for its home end when it crosses the router. */
  private addTruth(vp: ViewPacket): void {
    const inner = vp.inner;
    if (inner === null) return;
    if (vp.direction !== Direction.DOWN && inner.srcMac !== null) {
      this.truth.push(inner.srcMac, vp.ts, vp.size, vp.direction, this.uncounted.sent(inner.srcMac, vp));
      this.rates.add(inner.srcMac, vp.ts, vp.size, vp.direction);
    }
    if (vp.direction !== Direction.UP && inner.dstMac !== null && inner.dstMac !== inner.srcMac) {
      this.truth.push(inner.dstMac, vp.ts, vp.size, vp.direction, this.uncounted.received(inner.dstMac, vp));
      this.rates.add(inner.dstMac, vp.ts, vp.size, vp.direction);
    }
  }

  /** The home's devices with their truth so far (timelines end at the latest packet once flushed). */
  devices(analysis: Pick<CaptureAnalysis, 'inventory'>): DeviceAudit[] {
    const inventory = analysis.inventory.toJSON();
    const meta = new Map(this.metadata.devicesMetadata().map((m) => [m.mac, m]));
    const truthTimelines = this.truth.timelines();
    return auditedDevices(inventory).map((d) => ({
      mac: d.mac,
      name: d.displayName,
      nameIsUsers: d.names.some((n) => n.source === 'user'),
      vendor: d.vendorText,
      trueLabel: d.label !== null && !d.label.infrastructure ? d.label.device : null,
      category: d.label?.category ?? null,
      packets: d.packetsSent + d.packetsReceived,
      bytes: d.bytesSent + d.bytesReceived,
      truth: truthTimelines.get(d.mac) ?? EMPTY_TIMELINE,
      dnsNames: d.names.filter((n) => n.source === 'dns-query').map((n) => n.name),
      sniNames: d.names.filter((n) => n.source === 'tls-sni').map((n) => n.name),
      traffic: meta.get(d.mac) ?? null,
    }));
  }

  /** The defence what-ifs for an audit's devices: one more pass over the files for all of them (audit/what-ifs.ts). */
  async whatIfs(
    devices: readonly DeviceAudit[],
    observers: readonly ObserverAudit[],
    identifiers: ReadonlyMap<ModelView, DeviceIdentifier>,
    coverage: readonly CoveredTime[],
    whatIf: WhatIfRequest,
    progress?: (p: AuditProgress) => void,
  ): Promise<WhatIf[]> {
    const runs = observers.flatMap((o) => {
      const identifier = identifiers.get(o.view);
      return identifier === undefined
        ? []
        : whatIf.defences.map((defence) => ({ view: o.view, defence, identifier }));
    });
    if (runs.length === 0) return [];
    return runWhatIfs({
      paths: whatIf.paths,
      runs,
      devices,
      baseline: observers,
      coverage,
      options: whatIf.options,
      config: this.config,
      shouldStop: whatIf.shouldStop,
      progress,
    });
  }

  /**
   * Ends the pass: flushes the timelines, labels each observer's packets with its model and
   * measures the exposures; then runs the what-ifs, when asked for.
   */
  async finish(
    analysis: CaptureAnalysis,
    identifiers: ReadonlyMap<ModelView, DeviceIdentifier>,
    whatIf: WhatIfRequest | null,
    progress?: (p: AuditProgress) => void,
  ): Promise<HomeAudit> {
    this.truth.flush();
    const devices = this.devices(analysis);
    const coverage = captureCoverage(analysis.files);
    const observerAudits = await this.observerAudits(devices, coverage, identifiers, progress, true, true);
    const whatIfs =
      whatIf === null
        ? []
        : await this.whatIfs(devices, observerAudits, identifiers, coverage, whatIf, progress);
    const readable = analysis.files.filter((f) => f.firstTs !== null);
    return {
      files: analysis.files,
      packets: analysis.packets,
      start: readable.length === 0 ? null : Math.min(...readable.map((f) => f.firstTs!)),
      end: readable.length === 0 ? null : Math.max(...readable.map((f) => f.lastTs ?? f.firstTs!)),
      coverage,
      inventory: analysis.inventory.toJSON(),
      devices,
      observers: observerAudits,
      whatIfs,
    };
  }

  /**
   * The audit of what was read so far, for a live session while it captures: every timeline stays
   * open (packets keep coming), the observers' models label the full batches waiting (the rows
   * of a batch not full yet are in the next interim audit), and no what-ifs are run. `finish` may
   * follow as usual and gives what it would have given without.
   */
  async interim(
    inventory: CaptureAnalysis['inventory'],
    packets: number,
    coverage: readonly CoveredTime[],
    identifiers: ReadonlyMap<ModelView, DeviceIdentifier>,
  ): Promise<HomeAudit> {
    const devices = this.devices({ inventory });
    const observers = await this.observerAudits(devices, coverage, identifiers);
    return {
      files: [],
      packets,
      start: coverage.length === 0 ? null : coverage[0].start,
      end: coverage.length === 0 ? null : coverage[coverage.length - 1].end,
      coverage: [...coverage],
      inventory: inventory.toJSON(),
      devices,
      observers,
      whatIfs: [],
    };
  }

  /** Stops the in-home observers' training (the session was replaced or the engine closes). */
  cancel(): void {
    this.aborter.abort();
  }

  /** The in-home observer's result, or null when it was cancelled (the audit goes on without it). */
  private async inHomeOrNull(request: InHomeRequest): Promise<InHomeObserver | null> {
    try {
      return await measureInHomeObserver(request);
    } catch (error) {
      if (error instanceof ForestCancelled) return null;
      throw error;
    }
  }

  private async observerAudits(
    devices: readonly DeviceAudit[],
    coverage: readonly CoveredTime[],
    identifiers: ReadonlyMap<ModelView, DeviceIdentifier>,
    progress?: (p: AuditProgress) => void,
    inHome = false,
    end = false,
  ): Promise<ObserverAudit[]> {
    const out: ObserverAudit[] = [];
    for (const view of this.observers) {
      progress?.({
        stage: `identifying devices as ${OBSERVER_NAMES[view]} would`,
        fraction: null,
        packets: 0,
      });
      const identifier = identifiers.get(view);
      if (identifier === undefined) throw new Error(`no model open for the ${view} observer`);
      const stream = this.streams.get(view)!;
      // a live session's interim audit labels full batches only, so that it changes no answer
      await stream.drain(identifier, end);
      const audit = observerAudit(
        view,
        identifier,
        stream.log,
        stream.labelled(end),
        devices,
        coverage,
        stream.timelines(end),
        stream.categories(identifier.category),
        stream.wideDecisions(identifier.wide, hostNamesByMac(devices)),
      );
      // a finished stream's buffers are done with before the in-home observer's forest trains
      const sample = stream.sample;
      if (end) stream.release();
      if (inHome && this.measureInHome && sample !== null) {
        progress?.({
          stage: `training an observer on your own home's traffic, as ${OBSERVER_NAMES[view]} could`,
          fraction: 0,
          packets: 0,
        });
        const vendors = new Map(devices.map((d) => [d.mac, d.vendor]));
        audit.inHome = await this.inHomeOrNull({
          view,
          log: sample.take(),
          packetsOf: (mac) => sample.packetsOf(mac),
          devices: devices.map((d) => d.mac),
          vendorOf: (mac) => vendors.get(mac) ?? '',
          signal: this.aborter.signal,
          onProgress: (fraction) =>
            progress?.({
              stage: `training an observer on your own home's traffic, as ${OBSERVER_NAMES[view]} could`,
              fraction,
              packets: 0,
            }),
        });
      }
      out.push(audit);
    }
    return out;
  }
}
