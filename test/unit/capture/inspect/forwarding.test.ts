import { describe, expect, it } from 'vitest';
import {
  applySettings,
  forwardingSettings,
  isSessionSetting,
  planSettings,
  restoreSettings,
  type SettingsFiles,
} from '../../../../src-main/capture/inspect/forwarding.ts';

const P = '/proc/sys/net/ipv4';

/**
 * /proc/sys/net/ipv4 as a map, with Linux's rule that writing ip_forward sets
 * conf/all/accept_redirects to the opposite and every interface's forwarding to the same.
 */
function fakeKernel(
  values: Record<string, string>,
  refuse: string | null = null,
): SettingsFiles & { values: Record<string, string> } {
  return {
    values,
    read: (path) => {
      if (!(path in values)) throw new Error(`ENOENT: ${path}`);
      return values[path];
    },
    write: (path, value) => {
      if (path === refuse) throw new Error('EACCES: permission denied');
      values[path] = value;
      if (path === `${P}/ip_forward`) {
        values[`${P}/conf/all/accept_redirects`] = value === '1' ? '0' : '1';
        for (const k of Object.keys(values)) if (k.endsWith('/forwarding')) values[k] = value;
      }
    },
    interfaces: () => ['all', 'default', 'lo', 'wlan0'],
  };
}

function hardenedHost(): Record<string, string> {
  return {
    [`${P}/ip_forward`]: '0',
    [`${P}/conf/all/send_redirects`]: '1',
    [`${P}/conf/wlan0/send_redirects`]: '0',
    // redirects refused by the person; docker's bridge not here, lo forwarding left as it was
    [`${P}/conf/all/accept_redirects`]: '0',
    [`${P}/conf/all/forwarding`]: '0',
    [`${P}/conf/default/forwarding`]: '0',
    [`${P}/conf/lo/forwarding`]: '0',
    [`${P}/conf/wlan0/forwarding`]: '0',
  };
}

describe('forwarding settings', () => {
  it('turns forwarding on and ICMP redirects off, and puts back everything, including what toggling ip_forward rewrote', () => {
    const kernel = fakeKernel(hardenedHost());
    const before = { ...kernel.values };
    const plan = planSettings('wlan0', kernel);
    expect(plan.writes.map((w) => w.path)).toEqual([`${P}/ip_forward`, `${P}/conf/all/send_redirects`]);
    applySettings(plan, kernel);
    expect(kernel.values[`${P}/ip_forward`]).toBe('1');
    expect(kernel.values[`${P}/conf/all/send_redirects`]).toBe('0');
    expect(kernel.values[`${P}/conf/all/accept_redirects`]).toBe('0');
    expect(restoreSettings(plan.saved, kernel)).toEqual([]);
    // without the side effects recorded, accept_redirects would now be 1
    expect(kernel.values).toEqual(before);
  });

  it('records nothing beside the settings it writes when forwarding was already on', () => {
    const kernel = fakeKernel({ ...hardenedHost(), [`${P}/ip_forward`]: '1' });
    const plan = planSettings('wlan0', kernel);
    expect(plan.saved.map((s) => s.path)).toEqual([`${P}/conf/all/send_redirects`]);
  });

  it('puts back what it had changed when a later setting is refused, and says how to get the right', () => {
    const kernel = fakeKernel(hardenedHost(), `${P}/conf/all/send_redirects`);
    const before = { ...kernel.values };
    expect(() => {
      applySettings(planSettings('wlan0', kernel), kernel);
    }).toThrow(/net\.ipv4\.conf\.all\.send_redirects.*needs root/);
    expect(kernel.values).toEqual(before);
  });

  it('takes only interface names, and a record may name only these settings', () => {
    expect(() => forwardingSettings('../../kernel')).toThrow(/not an interface name/);
    expect(isSessionSetting(`${P}/ip_forward`)).toBe(true);
    expect(isSessionSetting(`${P}/conf/wlan0/forwarding`)).toBe(true);
    expect(isSessionSetting(`${P}/conf/all/accept_redirects`)).toBe(true);
    expect(isSessionSetting(`${P}/conf/all/rp_filter`)).toBe(false);
    expect(isSessionSetting(`${P}/conf/../../../kernel/core_pattern`)).toBe(false);
    expect(isSessionSetting('/proc/sys/kernel/core_pattern')).toBe(false);
  });
});
