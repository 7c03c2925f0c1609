import { describe, expect, it } from 'vitest';
import { ActivityWindow } from '../../../src-main/activity/activity-window.ts';

/** Slides `bins` bins into the window, every `period`th of them active; returns the state after each. */
function slide(window: ActivityWindow, bins: number, period: number): string[] {
  const states: string[] = [];
  for (let i = 0; i < bins; i++) {
    window.slide(i % period === 0);
    states.push(window.state);
  }
  return states;
}

describe('ActivityWindow', () => {
  it('wakes a device at 3 active bins of the last 30 and keeps a 60-s heartbeat idle', () => {
    const w = new ActivityWindow(30, 3, 1);
    const states = slide(w, 120, 6); // a beat every 6 bins of 10 s
    expect(states.indexOf('idle')).toBe(12); // the third beat
    expect(states.slice(12).every((s) => s === 'idle')).toBe(true);
  });

  it('keeps a device with a keep-alive every 5 minutes asleep', () => {
    expect(slide(new ActivityWindow(30, 3, 1), 300, 30).every((s) => s === 'asleep')).toBe(true);
  });

  it('falls back asleep only when at most 1 bin of the window is active (hysteresis)', () => {
    const w = new ActivityWindow(30, 3, 1);
    slide(w, 30, 6); // idle, 5 active bins in the window
    expect(w.state).toBe('idle');
    const quiet: string[] = [];
    for (let i = 0; i < 30; i++) {
      w.slide(false);
      quiet.push(w.state);
    }
    // active bins were at window positions 0, 6, 12, 18, 24: 2 remain after 18 quiet bins, 1 after 19
    expect(quiet.indexOf('asleep')).toBe(18);
    w.clear();
    expect(w.state).toBe('asleep');
    w.slide(true);
    w.slide(true);
    expect(w.state).toBe('asleep');
  });
});
