/**
 * `telltale dataset <captures...> --labels labels.csv --view lan|napt|vpn --out DIR`: writes a
 * feature dataset (evaluation/feature-dataset.ts) and says what it wrote. Per-packet
 * feature vectors of one observer view with their true labels and provenance, as NumPy `.npy`
 * files that Python reads directly (`numpy.load`), plus `meta.json`:
 *
 *   features.npy      float32 [N, F]  feature vectors, in the order of the feature spec
 *   labels.npy        int16   [N]     true label index into meta.labels; -1 no labelled device, -2 tunnel
 *   ts.npy            float64 [N]     packet time, seconds since the epoch
 *   file_index.npy    int32   [N]     index into meta.files; -1 for packets the view made itself
 *   packet_index.npy  int32   [N]     packet number within its file (0-based); -1 when made by the view
 *   segment.npy       int32   [N]     continuous stretch of capture (a gap over 5 min starts a new one)
 *   direction.npy     uint8   [N]     0 up, 1 down, 2 local
 *   size.npy          int32   [N]     observer frame size in bytes (unnormalised)
 *   flow.npy          int32   [N]     the observer's flow id (unique per segment); -1 none or no flows in the view
 *
 * With `--defence pad-N | pad-mtu | cover-Rpps` the view's packets are written as the home would
 * send them with that defence (views/defences.ts): padded sizes, or cover packets (label -1)
 * among them — to score the models against it (`telltale eval` does) or to train an observer
 * that knows it. meta.json names the defence and what it cost.
 */
import type { ViewName } from '../views/view-packet.ts';
import type { TunnelProfileName } from '../views/tunnel-profiles.ts';
import { defenceId, type Defence } from '../views/defences.ts';
import { writeFeatureDataset } from '../evaluation/feature-dataset.ts';
import { type CliIo, ExitCode } from './cli-io.ts';
import { ProgressBar } from './progress-bar.ts';
import { reportReadErrors, unreadableFiles } from './analyze-command.ts';

export interface DatasetArgs {
  captures: string[];
  labels: string;
  view: ViewName;
  out: string;
  vpnProfile: TunnelProfileName | undefined;
  /** Write the view as the home would send it with this defence; none when absent. */
  defence?: Defence | null;
}

export async function runDataset(args: DatasetArgs, io: CliIo): Promise<number> {
  const bar = io.progress === undefined ? null : new ProgressBar(io.progress);
  let written;
  try {
    written = await writeFeatureDataset(args, (p) => {
      bar?.update({
        label: `${p.filesDone + 1}/${p.filesTotal} ${p.file.split('/').pop() ?? ''}`,
        fraction: p.fraction,
        packets: p.packets,
      });
    });
  } finally {
    bar?.done();
  }
  const { analysis } = written;
  reportReadErrors(analysis, io);
  io.stdout(
    `${args.view}${written.defence === null ? '' : ` with ${defenceId(written.defence)}`}: ${written.rows} packets x ${written.features} features from ${analysis.files.length} file(s) → ${args.out}\n`,
  );
  return unreadableFiles(analysis) > 0 ? ExitCode.UNREADABLE : ExitCode.OK;
}
