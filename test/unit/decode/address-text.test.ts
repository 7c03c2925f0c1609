import { describe, expect, it } from 'vitest';
import { byteText, formatIpv6, ipv4Text, ipv6Text, macText } from '../../../src-main/decode/address-text.ts';
import { ip6 } from './frames.ts';

const v6 = (text: string): string => formatIpv6(Uint8Array.from(ip6(text)), 0);

describe('address text', () => {
  it('MACs are lower-case and colon-separated, and interned', () => {
    const b = Uint8Array.from([0, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]);
    expect(macText(b, 1)).toBe('aa:bb:cc:dd:ee:ff');
    expect(macText(Uint8Array.from([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]), 0)).toBe('aa:bb:cc:dd:ee:ff');
  });

  it('stays correct after the caches overflow and clear', () => {
    const b = new Uint8Array(6);
    for (let i = 0; i < 10_000; i++) {
      b[4] = i >> 8;
      b[5] = i & 0xff;
      const expected = `00:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
      expect(macText(b, 0)).toBe(expected);
      expect(ipv4Text(b, 2)).toBe(`0.0.${i >> 8}.${i & 0xff}`);
    }
    const a = new Uint8Array(16);
    for (let i = 1; i < 5000; i++) {
      a[0] = 0x20;
      a[1] = 0x01;
      a[14] = i >> 8;
      a[15] = i & 0xff;
      expect(ipv6Text(a, 0)).toBe(`2001::${i.toString(16)}`);
    }
  });

  it('IPv4 dotted quad', () => {
    expect(ipv4Text(Uint8Array.from([192, 168, 4, 2]), 0)).toBe('192.168.4.2');
  });

  it('IPv6 per RFC 5952', () => {
    expect(v6('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(v6('::')).toBe('::');
    expect(v6('::1')).toBe('::1');
    expect(v6('fe80::1')).toBe('fe80::1');
    expect(v6('2001:db8::')).toBe('2001:db8::');
    // A single zero group is not compressed (§4.2.2).
    expect(v6('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    // Longest run wins; on a tie the first (§4.2.3).
    expect(v6('2001:0:0:1:0:0:0:1')).toBe('2001:0:0:1::1');
    expect(v6('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    // Lower-case hex, no leading zeros (§4.1, §4.3).
    expect(v6('2001:DB8:00AB:0C::F')).toBe('2001:db8:ab:c::f');
    // IPv4-mapped in mixed notation (§5), as tshark prints it.
    expect(v6('::ffff:c000:0201')).toBe('::ffff:192.0.2.1');
    expect(ipv6Text(Uint8Array.from(ip6('ff02::fb')), 0)).toBe('ff02::fb');
  });

  it('byte text: ASCII, UTF-8 and trailing NULs', () => {
    expect(byteText(Uint8Array.from([0x61, 0x62, 0, 0]), 0, 4)).toBe('ab');
    expect(byteText(Uint8Array.from(Buffer.from('Küche')), 0, 6)).toBe('Küche');
  });
});
