/**
 * `telltale eval [--models DIR] [--datasets DIR] [--work DIR]` (`npm run eval`): runs the
 * evaluation (evaluation/run-evaluation.ts) with a progress bar and says what it wrote.
 */
import { EvaluationInputError } from '../evaluation/datasets.ts';
import { runEvaluation, type EvaluationOptions } from '../evaluation/run-evaluation.ts';
import { type CliIo, ExitCode, UsageError } from './cli-io.ts';
import { ProgressBar } from './progress-bar.ts';

export type EvalArgs = EvaluationOptions;

export async function runEval(args: EvalArgs, io: CliIo): Promise<number> {
  const bar = io.progress === undefined ? null : new ProgressBar(io.progress);
  try {
    const out = await runEvaluation(args, {
      note: (text) => {
        bar?.done();
        io.stderr(text);
      },
      progress: (label, fraction, packets) => {
        bar?.update({ label, fraction, packets });
      },
    });
    bar?.done();
    io.stdout(`Wrote ${out.markdown} and ${out.models} confusion matrices in ${out.svgDir}\n`);
    return ExitCode.OK;
  } catch (error) {
    bar?.done();
    if (error instanceof EvaluationInputError) throw new UsageError(error.message);
    throw error;
  }
}
