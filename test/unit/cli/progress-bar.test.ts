import { describe, expect, it } from 'vitest';
import { formatDuration, ProgressBar, renderProgressLine } from '../../../src-main/cli/progress-bar.ts';

describe('progress bar', () => {
  it('formats durations', () => {
    expect(formatDuration(5)).toBe('00:05');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(Number.NaN)).toBe('--:--');
  });

  it('renders fraction, rate and time remaining', () => {
    const line = renderProgressLine({ label: 'a.pcap', fraction: 0.25, packets: 50_000 }, 10, 100);
    expect(line).toContain(' 25%');
    expect(line).toContain('50.0k pkts');
    expect(line).toContain('5000/s');
    expect(line).toContain('ETA 00:30');
    expect(line.length).toBeLessThanOrEqual(100);
  });

  it('draws nothing when the output is not a terminal, and throttles redraws when it is', () => {
    const quiet: string[] = [];
    const off = new ProgressBar({ isTTY: false, write: (s) => quiet.push(s) > 0 });
    off.update({ label: 'x', fraction: 0.5, packets: 1 });
    expect(quiet).toEqual([]);

    let clock = 0;
    const drawn: string[] = [];
    const on = new ProgressBar(
      { isTTY: true, columns: 80, write: (s) => drawn.push(s) > 0 },
      { now: () => clock, intervalMs: 100 },
    );
    on.update({ label: 'x', fraction: 0.1, packets: 1 });
    clock = 50;
    on.update({ label: 'x', fraction: 0.2, packets: 2 });
    clock = 200;
    on.update({ label: 'x', fraction: 0.3, packets: 3 });
    on.done();
    expect(drawn.length).toBe(3);
    expect(drawn[1]).toContain(' 30%');
    expect(drawn[2]).toBe('\r\x1b[K');
  });
});
