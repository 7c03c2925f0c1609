/** The `telltale` command line run in-process through `main()`, its output collected (integration tests). */
import { main } from '../../src-main/cli/telltale.ts';

export async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
  });
  return { code, out, err };
}
