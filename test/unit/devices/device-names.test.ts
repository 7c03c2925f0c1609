import { describe, expect, it } from 'vitest';
import {
  chooseDisplayName,
  hostLabel,
  instanceLabel,
  isGenericHostName,
  srvTarget,
} from '../../../src-main/devices/device-names.ts';
import type { DeviceName, NameSource } from '../../../src-main/devices/device-record.ts';

function named(source: NameSource, name: string, count = 1, lastSeen = 0): DeviceName {
  return { source, name, count, firstSeen: 0, lastSeen };
}

const MAC = 'd0:73:d5:12:8e:30';

describe('device names', () => {
  it('reads DNS-SD instance and host names', () => {
    expect(instanceLabel('Living Room._googlecast._tcp.local')).toBe('Living Room');
    expect(instanceLabel('Roomba-3176._mqtt._tcp.local')).toBe('Roomba-3176');
    expect(hostLabel('WICED-hap-C0DBF0.local')).toBe('WICED-hap-C0DBF0');
    expect(hostLabel('raspberrypi.local.')).toBe('raspberrypi');
    expect(hostLabel('printer.example.com')).toBe('printer.example.com');
    expect(srvTarget('Nest-Cam.local:8009')).toBe('Nest-Cam.local');
    expect(isGenericHostName(' WLAN0 ')).toBe(true);
    expect(isGenericHostName('KL110')).toBe(false);
  });

  it('prefers user, DHCP host name, mDNS instance, mDNS host, vendor, vendor class, SSDP server, MAC', () => {
    const all = [
      named('ssdp-server', 'Linux UPnP/1.0'),
      named('dhcp-vendor-class', 'udhcp 1.19.3'),
      named('mdns-host', 'lifx-bulb.local'),
      named('mdns-instance', 'Desk Lamp._hap._tcp.local'),
      named('dhcp-hostname', 'LIFX Color 1000'),
      named('user', 'Lamp by the desk'),
    ];
    const cases: [number, string | null, string][] = [
      [6, 'LIFI LABS', 'Lamp by the desk'],
      [5, 'LIFI LABS', 'LIFX Color 1000'],
      [4, 'LIFI LABS', 'Desk Lamp'],
      [3, 'LIFI LABS', 'lifx-bulb'],
      [2, 'LIFI LABS', 'LIFI LABS (8e:30)'],
      [2, null, 'udhcp 1.19.3'],
      [1, null, 'Linux UPnP/1.0'],
      [0, null, MAC],
    ];
    for (const [count, vendor, expected] of cases) {
      expect(chooseDisplayName(MAC, vendor, all.slice(0, count)), `${count} names, vendor ${vendor}`).toBe(
        expected,
      );
    }
  });

  it('skips generic host names and picks the most frequent name of a source', () => {
    expect(chooseDisplayName(MAC, 'Tuya Smart Inc.', [named('dhcp-hostname', 'wlan0', 9)])).toBe(
      'Tuya Smart Inc. (8e:30)',
    );
    expect(
      chooseDisplayName(MAC, null, [
        named('dhcp-hostname', 'old-name', 1, 5),
        named('dhcp-hostname', 'new-name', 3, 1),
      ]),
    ).toBe('new-name');
    expect(
      chooseDisplayName(MAC, null, [named('dhcp-hostname', 'a', 2, 1), named('dhcp-hostname', 'b', 2, 9)]),
    ).toBe('b');
  });
});
