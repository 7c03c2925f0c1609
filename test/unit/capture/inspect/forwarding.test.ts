import { describe, expect, it } from 'vitest';
import {
  applySettings,
  forwardingSettings,
  restoreSettings,
  type SettingsFiles,
} from '../../../../src-main/capture/inspect/forwarding.ts';

function fakeFiles(
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
    },
  };
}

describe('forwarding settings', () => {
  it('turns forwarding on and ICMP redirects off for the session, and puts back only what it changed', () => {
    const files = fakeFiles({
      '/proc/sys/net/ipv4/ip_forward': '0',
      '/proc/sys/net/ipv4/conf/all/send_redirects': '1',
      '/proc/sys/net/ipv4/conf/wlan0/send_redirects': '0',
    });
    const saved = applySettings(forwardingSettings('wlan0'), files);
    expect(files.values).toEqual({
      '/proc/sys/net/ipv4/ip_forward': '1',
      '/proc/sys/net/ipv4/conf/all/send_redirects': '0',
      '/proc/sys/net/ipv4/conf/wlan0/send_redirects': '0',
    });
    expect(saved.map((s) => s.path)).toEqual([
      '/proc/sys/net/ipv4/ip_forward',
      '/proc/sys/net/ipv4/conf/all/send_redirects',
    ]);
    expect(restoreSettings(saved, files)).toEqual([]);
    expect(files.values['/proc/sys/net/ipv4/ip_forward']).toBe('0');
    expect(files.values['/proc/sys/net/ipv4/conf/all/send_redirects']).toBe('1');
  });

  it('puts back what it had changed when a later setting is refused, and says how to get the right', () => {
    const files = fakeFiles(
      {
        '/proc/sys/net/ipv4/ip_forward': '0',
        '/proc/sys/net/ipv4/conf/all/send_redirects': '1',
        '/proc/sys/net/ipv4/conf/wlan0/send_redirects': '1',
      },
      '/proc/sys/net/ipv4/conf/all/send_redirects',
    );
    expect(() => applySettings(forwardingSettings('wlan0'), files)).toThrow(
      /net\.ipv4\.conf\.all\.send_redirects.*needs root/,
    );
    expect(files.values['/proc/sys/net/ipv4/ip_forward']).toBe('0');
  });

  it('takes only interface names', () => {
    expect(() => forwardingSettings('../../kernel')).toThrow(/not an interface name/);
  });
});
