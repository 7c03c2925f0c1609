/** Sorting of the device table (a plain function, so it is tested without a DOM). */
import type { ActivityState, DeviceRow } from '../../src-main/shared/ipc-contract.ts';

export type DeviceSortKey = 'name' | 'vendor' | 'category' | 'mac' | 'state' | 'napt' | 'vpn' | 'traffic';

const STATE_ORDER: Record<ActivityState, number> = { asleep: 0, idle: 1, busy: 2 };

function value(d: DeviceRow, key: DeviceSortKey): string | number {
  switch (key) {
    case 'name':
      return d.name.toLowerCase();
    case 'vendor':
      return d.vendor.toLowerCase();
    case 'category':
      return (d.category ?? '\uffff').toLowerCase();
    case 'mac':
      return d.mac;
    case 'state':
      return d.state === null ? -1 : STATE_ORDER[d.state];
    case 'napt':
      return d.exposure.napt?.recognisedShare ?? -1;
    case 'vpn':
      return d.exposure.vpn?.recognisedShare ?? -1;
    case 'traffic':
      return d.bytesSent + d.bytesReceived;
  }
}

/** A sorted copy; ties keep MAC order so the table never jumps between snapshots. */
export function sortDevices(rows: readonly DeviceRow[], key: DeviceSortKey, ascending: boolean): DeviceRow[] {
  const dir = ascending ? 1 : -1;
  return [...rows].sort((a, b) => {
    const va = value(a, key);
    const vb = value(b, key);
    if (va < vb) return -dir;
    if (va > vb) return dir;
    return a.mac < b.mac ? -1 : a.mac > b.mac ? 1 : 0;
  });
}
