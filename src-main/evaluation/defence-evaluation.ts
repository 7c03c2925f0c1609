/**
 * The default models scored again on the validation split as the home would send it with a
 * defence (padding, cover traffic): what an observer that has not retrained still recognises.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalysisProgress } from '../audit/capture-analysis.ts';
import type { ModelEntry, ModelView } from '../inference/model-manifest.ts';
import { defenceId, type Defence } from '../views/defences.ts';
import type { TunnelProfileName } from '../views/tunnel-profiles.ts';
import type { ClassificationMetrics } from './metrics.ts';
import { buildValidationData, evaluateModel } from './model-evaluation.ts';

/**
 * The defences the default models are scored against: the what-ifs' padding steps, padding to
 * multiples of 32 bytes (about 16 bytes added per packet on average, the setting of the published
 * figure in RESEARCH.md: about 20 % accuracy left), and cover traffic.
 */
export const EVAL_DEFENCES: readonly Defence[] = [
  { kind: 'padding', multiple: 16 },
  { kind: 'padding', multiple: 32 },
  { kind: 'padding', multiple: 64 },
  { kind: 'padding', multiple: 256 },
  { kind: 'padding', multiple: 'mtu' },
  { kind: 'cover', packetsPerSecond: 5 },
];

export interface DefenceEvaluation {
  model: ModelEntry;
  defence: Defence;
  metrics: ClassificationMetrics;
  /** Over the whole view (every MADEA capture): bytes added per real packet, extra share, cover packets. */
  bytesAddedPerPacket: number;
  costShare: number;
  dummyPackets: number;
}

/**
 * Scores `model` on its view's validation split as the home would send it with `defence` (the
 * same split, the same models: an observer that has not retrained). The view's data is built in
 * `workDir` and removed afterwards.
 */
export async function evaluateDefence(
  folders: { modelsDir: string; datasetsDir: string },
  model: ModelEntry,
  defence: Defence,
  blockSeconds: number,
  workDir: string,
  vpnProfile?: TunnelProfileName,
  onProgress?: (view: ModelView, p: AnalysisProgress) => void,
): Promise<DefenceEvaluation> {
  const dir = join(workDir, `${model.view}-${defenceId(defence)}`);
  try {
    const data = await buildValidationData(
      folders.datasetsDir,
      workDir,
      [model.view],
      blockSeconds,
      onProgress,
      vpnProfile,
      defence,
    );
    const r = await evaluateModel(folders.modelsDir, model, data.get(model.view)!);
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as {
      defence: { bytesBefore: number; bytesAfter: number; packetsBefore: number; dummyPackets: number };
    };
    const d = meta.defence;
    return {
      model,
      defence,
      metrics: r.metrics,
      bytesAddedPerPacket:
        defence.kind === 'padding' && d.packetsBefore > 0
          ? (d.bytesAfter - d.bytesBefore) / d.packetsBefore
          : 0,
      costShare: d.bytesBefore > 0 ? (d.bytesAfter - d.bytesBefore) / d.bytesBefore : 0,
      dummyPackets: d.dummyPackets,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
