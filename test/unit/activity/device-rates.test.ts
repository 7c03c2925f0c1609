import { describe, expect, it } from 'vitest';
import { DeviceRates } from '../../../src-main/activity/device-rates.ts';
import { Direction } from '../../../src-main/views/view-packet.ts';

describe('DeviceRates', () => {
  it('sums each device’s packets and bytes per minute and direction, bounded in minutes', () => {
    const r = new DeviceRates(2);
    r.add('a', 60.5, 100, Direction.UP);
    r.add('a', 119, 50, Direction.DOWN);
    r.add('a', 121, 10, Direction.LOCAL);
    r.add('a', 100, 5, Direction.UP); // late, into its own (kept) minute
    r.add('a', 200, 7, Direction.UP);
    expect(r.of('a')).toEqual([
      { t: 120, packets: 1, bytesUp: 0, bytesDown: 0, bytesLocal: 10 },
      { t: 180, packets: 1, bytesUp: 7, bytesDown: 0, bytesLocal: 0 },
    ]);
    expect(r.of('b')).toEqual([]);
  });
});
