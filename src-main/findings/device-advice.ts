/**
 * A device's exposure to each observer as the app shows it (the device row's figures), the
 * defences the what-ifs tried on it, and from these its single most useful action
 * (shared/device-verdict.ts): one computation for the engine's device rows and the report.
 */
import { formatBytes } from '../activity/activity-timeline.ts';
import type { HomeAudit, InHomeObserver } from '../audit/audit-types.ts';
import { rightlyRecognised } from '../audit/exposure.ts';
import { catalogName, deviceKind, type DeviceCategory } from '../shared/device-categories.ts';
import { deviceAction, type TriedDefence } from '../shared/device-verdict.ts';
import type { DeviceAction, DeviceExposure, ObserverView } from '../shared/ipc-contract.ts';

/** The in-home observer's figures of one device (null when that observer was not trained). */
function inHomeOf(h: InHomeObserver | null, mac: string): DeviceExposure['inHome'] {
  const r = h?.devices.find((x) => x.mac === mac);
  return r === undefined
    ? null
    : {
        measured: r.measured,
        unmeasured: r.unmeasured,
        recognisedShare: r.recognisedShare,
        interval: r.interval,
      };
}

/** What each observer of the audit learns of the device `mac` (null: it sees none of its packets). */
export function deviceExposures(
  audit: HomeAudit | null,
  mac: string,
): Record<ObserverView, DeviceExposure | null> {
  const exposure: Record<ObserverView, DeviceExposure | null> = { napt: null, vpn: null };
  for (const obs of audit?.observers ?? []) {
    const r = obs.devices.find((x) => x.mac === mac);
    if (r === undefined || r.identity.packets === 0) continue;
    exposure[obs.view] = {
      className: r.identity.className,
      classSource: r.identity.classSource,
      recognisedShare: r.identity.recognisedShare,
      evidence: r.identity.evidence,
      catalogClass:
        r.identity.topModelClass === null ? null : catalogName(r.identity.topModelClass, r.identity.platform),
      catalogShare: r.identity.topModelShare,
      catalogPlatform: r.identity.platform ?? null,
      catalogRight:
        r.identity.classSource === null || r.identity.classSource === 'model'
          ? null
          : rightlyRecognised(r.identity),
      wideCatalog:
        r.identity.recognisedBy === 'wide' && r.identity.wide !== null
          ? { names: r.identity.wide.names }
          : null,
      category:
        r.identity.category === null
          ? null
          : {
              named: r.identity.category.category,
              guess: r.identity.category.top,
              probability: r.identity.category.probability,
              threshold: r.identity.category.threshold,
            },
      agreement: r.activity.agreement,
      busyRecall: r.activity.busyRecall,
      spansSeen: r.activity.spansSeen,
      spansTotal: r.activity.spansTotal,
      falseBusyPerDay: r.activity.falseBusyPerDay,
      busySecondsSeen: r.activity.busyRecall * r.activity.truthBusySeconds,
      packets: r.identity.packets,
      inHome: inHomeOf(obs.inHome, mac),
    };
  }
  return exposure;
}

/** Seconds of time the audit's capture covers. */
export function coveredSeconds(audit: HomeAudit): number {
  return audit.coverage.reduce((a, c) => a + c.end - c.start, 0);
}

/** The extra data of `extraBytes` over the covered time, in a 30-day month (null without time covered). */
export function monthlyBytes(extraBytes: number, audit: HomeAudit): number | null {
  const seconds = coveredSeconds(audit);
  return seconds <= 0 ? null : (extraBytes / seconds) * 30 * 86_400;
}

/** Each what-if's effect on the device `mac`: what its observer recognises of it without and with the defence. */
export function triedDefences(audit: HomeAudit, mac: string): TriedDefence[] {
  const out: TriedDefence[] = [];
  for (const w of audit.whatIfs) {
    const row = w.devices.find((x) => x.mac === mac);
    const before =
      row?.undefended?.recognisedShare ??
      audit.observers.find((o) => o.view === w.view)?.devices.find((r) => r.mac === mac)?.identity
        .recognisedShare;
    if (row === undefined || before === undefined) continue;
    out.push({
      view: w.view,
      description: w.description,
      before,
      after: row.recognisedShare,
      costShare: w.costShare,
      monthlyBytes: monthlyBytes(w.extraBytes, audit),
    });
  }
  return out;
}

/** The device's kind: its category, the catalog class it was recognised as, or what it looks like. */
export function kindOfDevice(
  category: string | null,
  device: string,
  exposure: Record<ObserverView, DeviceExposure | null>,
): DeviceCategory | null {
  return deviceKind(category, device, [exposure.napt?.category?.named, exposure.vpn?.category?.named]);
}

/** The single most useful action for the device (null before the audit, or when no outsider sees it). */
export function actionOf(
  audit: HomeAudit | null,
  mac: string,
  kind: DeviceCategory | null,
  exposure = deviceExposures(audit, mac),
): DeviceAction | null {
  return audit === null ? null : deviceAction(exposure, kind, triedDefences(audit, mac), formatBytes);
}
