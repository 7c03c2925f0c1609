import { describe, expect, it } from 'vitest';
import {
  IpScope,
  computeIpScope,
  ipScope,
  isDeviceMac,
  isGroupMac,
  isLocallyAdministeredMac,
  isPublicIp,
  normalizeMac,
  parseIpv4,
} from '../../../src-main/devices/address-scope.ts';

describe('IP scope', () => {
  it('parses dotted quads strictly', () => {
    expect(parseIpv4('192.168.4.2')).toBe(0xc0a80402);
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIpv4('0.0.0.0')).toBe(0);
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '1..2.3',
      '1.2.3.',
      'a.b.c.d',
      '1234.1.1.1',
      'fe80::1',
    ]) {
      expect(parseIpv4(bad), bad).toBe(-1);
    }
  });

  it.each([
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.4.2', 'private'],
    ['192.169.0.1', 'public'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.128.0.1', 'public'],
    ['127.0.0.1', 'loopback'],
    ['169.254.10.1', 'link-local'],
    ['224.0.0.251', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['0.0.0.0', 'unspecified'],
    ['8.8.8.8', 'public'],
    ['52.94.236.248', 'public'],
    ['203.0.113.7', 'public'], // documentation prefix, deliberately public for synthetic captures
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'reserved'],
    ['fd12:3456::1', 'unique-local'],
    ['fc00::1', 'unique-local'],
    ['ff02::fb', 'multicast'],
    ['2607:f8b0:4005:80a::200e', 'public'],
    ['2001:db8::1', 'public'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::ffff:8.8.8.8', 'public'],
    ['::ffff:192.168.1.1', 'private'],
    ['64:ff9b::1', 'reserved'],
    ['not an address', 'invalid'],
    ['', 'invalid'],
    ['12345::1', 'invalid'],
  ])('%s is %s', (text, scope) => {
    expect(ipScope(text)).toBe(IpScope[scope.toUpperCase().replace('-', '_') as keyof typeof IpScope]);
  });

  it('tells public from local', () => {
    expect(isPublicIp('8.8.8.8')).toBe(true);
    expect(isPublicIp('2a00:1450::1')).toBe(true);
    expect(isPublicIp('192.168.1.1')).toBe(false);
    expect(isPublicIp('garbage')).toBe(false);
    expect(isPublicIp('100.64.1.1')).toBe(false);
    expect(ipScope('10.1.2.3')).toBe(IpScope.PRIVATE);
  });
});

describe('MAC classes', () => {
  it('knows group, broadcast and multicast MACs', () => {
    for (const mac of ['ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:fb', '33:33:00:00:00:fb', '01:80:c2:00:00:00']) {
      expect(isGroupMac(mac), mac).toBe(true);
      expect(isDeviceMac(mac), mac).toBe(false);
    }
    expect(isGroupMac('b0:73:9c:e6:9a:b9')).toBe(false);
    expect(isDeviceMac('b0:73:9c:e6:9a:b9')).toBe(true);
    expect(isDeviceMac('00:00:00:00:00:00')).toBe(false);
    expect(isDeviceMac('B0:73:9C:E6:9A:B9')).toBe(false); // not canonical
  });

  it('knows locally administered MACs', () => {
    expect(isLocallyAdministeredMac('e6:ce:94:c8:64:43')).toBe(true); // the MADEA Pixel 6, randomised
    expect(isLocallyAdministeredMac('02:00:00:00:00:01')).toBe(true);
    expect(isLocallyAdministeredMac('dc:a6:32:ce:31:63')).toBe(false);
  });

  it('normalises the spellings people write', () => {
    expect(normalizeMac('B0:73:9C:E6:9A:B9')).toBe('b0:73:9c:e6:9a:b9');
    expect(normalizeMac(' b0-73-9c-e6-9a-b9 ')).toBe('b0:73:9c:e6:9a:b9');
    expect(normalizeMac('b0739ce69ab9')).toBe('b0:73:9c:e6:9a:b9');
    expect(normalizeMac('b073.9ce6.9ab9')).toBe('b0:73:9c:e6:9a:b9');
    for (const bad of [
      '',
      'b0:73:9c:e6:9a',
      'b0:73:9c:e6:9a:b9:00',
      'g0:73:9c:e6:9a:b9',
      'b07:39c:e69:ab9',
      'b0:73-9c:e6:9a:b9',
    ]) {
      expect(normalizeMac(bad), bad).toBeNull();
    }
  });
});

describe('the scope cache', () => {
  it('answers as the parser does, also after many distinct addresses', () => {
    for (let i = 0; i < 20_000; i++) {
      const text = `${(i * 7) & 0xff}.${i >> 8}.${i & 0xff}.1`;
      expect(ipScope(text)).toBe(computeIpScope(text));
    }
    expect(ipScope('fe80::1')).toBe(IpScope.LINK_LOCAL);
  });
});
