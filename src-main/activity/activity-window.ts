/**
 * Asleep or idle — the state of a device that is not busy — from how many of its last
 * `activityWindowBins` bins held a packet: a regular heartbeat fills enough of them to be idle,
 * rare keep-alives do not. With hysteresis: asleep → idle at `idleEnterActiveBins` active bins,
 * back only at `asleepEnterActiveBins` or fewer. A ring of one bit per bin; O(1) per bin.
 */

/** The states of a device that is not busy. */
export type QuietState = 'asleep' | 'idle';

export class ActivityWindow {
  private readonly idleEnterActiveBins: number;
  private readonly asleepEnterActiveBins: number;
  /** 1 for each of the last `activityWindowBins` bins that held a packet. */
  private readonly activeRing: Uint8Array;
  private ringPos = 0;
  private activeCount = 0;
  private quiet: QuietState = 'asleep';

  constructor(activityWindowBins: number, idleEnterActiveBins: number, asleepEnterActiveBins: number) {
    this.activeRing = new Uint8Array(activityWindowBins);
    this.idleEnterActiveBins = idleEnterActiveBins;
    this.asleepEnterActiveBins = asleepEnterActiveBins;
  }

  /** The state as of the last bin slid in. */
  get state(): QuietState {
    return this.quiet;
  }

  /** Slides the window by one closed bin (`active`: it held a packet) and applies the hysteresis. */
  slide(active: boolean): void {
    const bit = active ? 1 : 0;
    this.activeCount += bit - this.activeRing[this.ringPos];
    this.activeRing[this.ringPos] = bit;
    this.ringPos = this.ringPos + 1 === this.activeRing.length ? 0 : this.ringPos + 1;
    if (this.quiet === 'asleep' && this.activeCount >= this.idleEnterActiveBins) this.quiet = 'idle';
    else if (this.quiet === 'idle' && this.activeCount <= this.asleepEnterActiveBins) this.quiet = 'asleep';
  }

  /** Forgets every bin, as if new. */
  clear(): void {
    this.activeRing.fill(0);
    this.ringPos = 0;
    this.activeCount = 0;
    this.quiet = 'asleep';
  }
}
