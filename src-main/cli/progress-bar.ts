/**
 * A one-line progress bar on stderr for long runs: fraction done, packets, packets per second and
 * time remaining. Redraws at most every `intervalMs`; draws nothing when stderr is not a terminal
 * unless forced, so logs and pipes stay clean.
 */

export interface ProgressState {
  /** Label for the current item (a file name). */
  label: string;
  /** 0..1, or null when the total is unknown. */
  fraction: number | null;
  packets: number;
}

export interface ProgressOutput {
  isTTY?: boolean;
  columns?: number;
  write(text: string): boolean;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(rest).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/** Renders one progress line (without carriage return) for a given state and elapsed time. */
export function renderProgressLine(state: ProgressState, elapsedSeconds: number, width: number): string {
  const rate = elapsedSeconds > 0 ? state.packets / elapsedSeconds : 0;
  const fraction = state.fraction === null ? null : Math.min(1, Math.max(0, state.fraction));
  const eta = fraction !== null && fraction > 0 ? (elapsedSeconds * (1 - fraction)) / fraction : NaN;
  const stats = ` ${fraction === null ? '  ?%' : `${String(Math.floor(fraction * 100)).padStart(3)}%`} ${formatCount(state.packets)} pkts ${formatCount(rate)}/s ETA ${formatDuration(eta)} `;
  const label = state.label.length > 30 ? `…${state.label.slice(-29)}` : state.label;
  const barWidth = Math.max(10, width - stats.length - label.length - 3);
  const filled = fraction === null ? 0 : Math.round(barWidth * fraction);
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]${stats}`.slice(0, width);
}

export class ProgressBar {
  private readonly out: ProgressOutput;
  private readonly enabled: boolean;
  private readonly intervalMs: number;
  private readonly startedAt: number;
  private lastDraw = 0;
  private drawn = false;
  private readonly now: () => number;

  constructor(
    out: ProgressOutput,
    options: { force?: boolean; intervalMs?: number; now?: () => number } = {},
  ) {
    this.out = out;
    this.enabled = options.force ?? out.isTTY === true;
    this.intervalMs = options.intervalMs ?? 200;
    this.now = options.now ?? (() => performance.now());
    this.startedAt = this.now();
  }

  update(state: ProgressState): void {
    if (!this.enabled) return;
    const t = this.now();
    if (this.drawn && t - this.lastDraw < this.intervalMs) return;
    this.lastDraw = t;
    this.drawn = true;
    const width = Math.max(40, (this.out.columns ?? 100) - 1);
    this.out.write(`\r${renderProgressLine(state, (t - this.startedAt) / 1000, width)}\x1b[K`);
  }

  /** Clears the line so that later output starts clean. */
  done(): void {
    if (this.enabled && this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }
}
