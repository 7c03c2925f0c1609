import { describe, expect, it, vi } from 'vitest';
import { Session } from '../../../src-main/engine/session.ts';

describe('Session', () => {
  it('keeps the analysis of a session the person stopped, and cancels it only when abandoned', () => {
    const s = new Session({ kind: 'files', names: ['x.pcap'], speed: 'max' }, ['/x.pcap'], ['napt']);
    const cancel = vi.spyOn(s.collector, 'cancel');
    s.requestStop();
    expect(s.stopRequested).toBe(true);
    expect(cancel).not.toHaveBeenCalled();
    s.abandon();
    expect(cancel).toHaveBeenCalledTimes(1);
    expect(s.info.sessionId).toBe(s.id);
  });
});
