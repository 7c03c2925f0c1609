import { describe, expect, it } from 'vitest';
import {
  LOCALLY_ADMINISTERED_VENDOR,
  ouiRegistry,
  ouiVendor,
  vendorText,
} from '../../../src-main/devices/oui.ts';

describe('OUI vendor lookup', () => {
  // What oui-data 2.1.9 really says for the MADEA devices (labels.csv).
  it.each([
    ['24:ce:33:24:b5:cb', 'Amazon Technologies Inc.'], // Amazon Plug
    ['7c:f6:66:1f:a8:b6', 'Tuya Smart Inc.'], // HBN Plug
    ['90:48:6c:06:8f:74', 'Ring LLC'], // Ring Doorbell
    ['b0:73:9c:e6:9a:b9', 'Amazon Technologies Inc.'], // Blink Mini (Amazon-owned)
    ['64:16:66:49:3e:cb', 'Nest Labs Inc.'], // Nest Camera
    ['50:8a:06:4b:c5:c7', 'Tuya Smart Inc.'], // Lumiman Bulb
    ['d8:0d:17:33:c2:52', 'TP-LINK TECHNOLOGIES CO.,LTD.'], // Kasa Bulb
    ['d0:73:d5:12:8e:30', 'LIFI LABS MANAGEMENT PTY LTD'], // Lifx Bulb
    ['e4:5f:01:c3:64:86', 'Raspberry Pi Trading Ltd'], // RPi Emulated Bulb
    ['34:ab:95:f6:82:94', 'Espressif Inc.'], // Ultraloq lock (an ESP32 inside)
    ['34:6f:92:1d:ba:50', 'White Rodgers Division'], // Sensi Thermostat
    ['cc:a7:c1:62:cc:aa', 'Google, Inc.'], // Nest Protect
    ['70:74:14:c0:db:f0', 'Murata Manufacturing Co., Ltd.'], // Rachio (Murata Wi-Fi module)
    ['d0:c5:d3:90:54:73', 'AzureWave Technology Inc.'], // Roomba (AzureWave module)
    ['dc:a6:32:ce:31:63', 'Raspberry Pi Trading Ltd'], // the access point
  ])('%s → %s', (mac, vendor) => {
    expect(ouiVendor(mac)).toBe(vendor);
  });

  it('prefers the longest registered block (MA-M, MA-S inside an IEEE RA OUI)', () => {
    expect(ouiVendor('10:06:48:0a:00:00')).toBe('FLEXTRONICS TECHNOLOGIES (INDIA) PVT LTD'); // MA-M 1006480
    expect(ouiVendor('00:1b:c5:00:00:01')).toBe('Converging Systems Inc.'); // MA-S 001BC5000
    expect(ouiVendor('00:1b:c5:ff:f0:01')).toBe('IEEE Registration Authority'); // only the OUI matches
  });

  it('gives no vendor for locally administered, group or malformed MACs', () => {
    expect(ouiVendor('e6:ce:94:c8:64:43')).toBeNull(); // the MADEA Pixel 6's randomised MAC
    expect(vendorText('e6:ce:94:c8:64:43')).toBe(LOCALLY_ADMINISTERED_VENDOR);
    expect(ouiVendor('01:00:5e:00:00:fb')).toBeNull();
    expect(ouiVendor('B0:73:9C:E6:9A:B9')).toBeNull();
    expect(ouiVendor('nonsense')).toBeNull();
    expect(vendorText('b0:73:9c:e6:9a:b9')).toBe('Amazon Technologies Inc.');
  });

  it('loads the registry once, compactly', () => {
    const registry = ouiRegistry();
    expect(ouiRegistry()).toBe(registry);
    expect(registry.stats.blocks24).toBeGreaterThan(30_000);
    expect(registry.stats.blocks28).toBeGreaterThan(1_000);
    expect(registry.stats.blocks36).toBeGreaterThan(1_000);
    expect(registry.stats.organisations).toBeLessThan(
      registry.stats.blocks24 + registry.stats.blocks28 + registry.stats.blocks36,
    );
    expect(registry.assignee('00:00:00')).toBeNull();
  });
});
