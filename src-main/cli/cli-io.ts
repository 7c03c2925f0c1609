/**
 * What a command needs from the outside world, so commands run the same in-process (tests) and
 * as a real process.
 */
import type { ProgressOutput } from './progress-bar.ts';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Where the progress bar draws (stderr of a terminal); progress is off when absent. */
  progress?: ProgressOutput;
}

/** A problem with the command line itself (exit code 1). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Exit codes, documented in the README. */
export const ExitCode = { OK: 0, USAGE: 1, UNREADABLE: 2 } as const;
