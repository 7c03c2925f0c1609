/**
 * Defence what-ifs: one more pass over the capture files through one observer's view with a
 * defence applied (padding, cover traffic), labelled by the same model, scored against the
 * device's truth — what the observer could still tell if the home used the defence.
 */
import type { ActivityConfig } from '../activity/activity-config.ts';
import type { CoveredTime } from '../activity/timeline-agreement.ts';
import type { DeviceIdentifier } from '../inference/device-identifier.ts';
import type { ModelView } from '../inference/model-manifest.ts';
import { DefendedStream, defenceId, describeDefence, type Defence } from '../views/defences.ts';
import type { ViewPacket } from '../views/view-packet.ts';
import {
  MIN_PACKETS_FOR_AVERAGE,
  OBSERVER_NAMES,
  type AuditOptions,
  type DeviceAudit,
  type ObserverAudit,
  type WhatIf,
  type WhatIfDevice,
} from './audit-types.ts';
import { analyzeCaptures } from './capture-analysis.ts';
import { activityExposure, deviceIdentity, labelView, mean, timingTimelines } from './exposure.ts';
import { ViewLog } from './view-log.ts';

/** One what-if to run: the files, the observer and its model, the defence, and the audit it is compared with. */
export interface WhatIfRun {
  paths: readonly string[];
  view: ModelView;
  defence: Defence;
  identifier: DeviceIdentifier;
  devices: readonly DeviceAudit[];
  /** The observer audits without the defence (each device keeps its class from there). */
  baseline: readonly ObserverAudit[];
  coverage: readonly CoveredTime[];
  options: AuditOptions;
  config: Partial<ActivityConfig>;
}

export async function runWhatIf(run: WhatIfRun): Promise<WhatIf> {
  const { paths, view, defence, identifier, devices, baseline, coverage, options, config } = run;
  const log = new ViewLog<ModelView>(view);
  const stream = new DefendedStream(defence, view, options.vpnProfile);
  const add = (vp: ViewPacket): void => {
    log.add(vp);
  };
  await analyzeCaptures(paths, {
    groundTruth: options.groundTruth ?? null,
    views: [view],
    viewOptions: { profile: options.vpnProfile },
    onViewPacket: (_v, vp) => {
      stream.push(vp, add);
    },
    onSegmentStart: (segment) => {
      log.startSegment(segment);
      stream.reset();
    },
  });
  const labelled = labelView(log, await log.identify(identifier), identifier.labels.length, config);
  const timing = timingTimelines(log, config);
  const base = baseline.find((o) => o.view === view)!;
  const rows: WhatIfDevice[] = [];
  const counted: WhatIfDevice[] = [];
  for (const d of devices) {
    const identity = deviceIdentity(identifier, log, labelled, d);
    // The device keeps the class it has without the defence (the observer looks for the same device).
    const undefended = base.devices.find((r) => r.mac === d.mac)!.identity;
    const cls = undefended.className === null ? -1 : identifier.labels.indexOf(undefended.className);
    const answers = labelled.answers.get(log.indexOfMac(d.mac));
    const recognised =
      cls < 0 || answers === undefined || identity.packets === 0 ? 0 : answers[cls] / identity.packets;
    // activity from the defended timing, apart from what the model now calls the packets
    const exposure = activityExposure(d.truth, timing.get(log.indexOfMac(d.mac)) ?? null, coverage);
    const row = {
      mac: d.mac,
      recognisedShare: recognised,
      agreement: exposure.agreement,
      busyRecall: exposure.busyRecall,
      spansSeen: exposure.spansSeen,
      spansTotal: exposure.spansTotal,
    };
    rows.push(row);
    if (identity.packets >= MIN_PACKETS_FOR_AVERAGE) counted.push(row);
  }
  const extra = stream.stats.bytesAfter - stream.stats.bytesBefore;
  return {
    id: `${view}-${defenceId(defence)}`,
    view,
    observer: OBSERVER_NAMES[view],
    defence,
    description: describeDefence(defence),
    costShare: stream.stats.bytesBefore === 0 ? 0 : extra / stream.stats.bytesBefore,
    extraBytes: extra,
    dummyPackets: stream.stats.dummyPackets,
    meanRecognisedShare: mean(counted.map((r) => r.recognisedShare)),
    meanAgreement: mean(counted.map((r) => r.agreement)),
    spansSeen: rows.reduce((a, r) => a + r.spansSeen, 0),
    spansTotal: rows.reduce((a, r) => a + r.spansTotal, 0),
    devices: rows,
  };
}
