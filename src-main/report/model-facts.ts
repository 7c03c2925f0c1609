/**
 * What the report says of the models' measured accuracy and where it does not hold: for each
 * observer, its default model's macro recall on held-out time of the home it learned from
 * (models/manifest.json), and how its catalog's device-level test did on devices of other labs no
 * model saw (models/evaluation/catalog-test.json, written by `npm run eval`).
 */
import { readCatalogSummary } from '../evaluation/catalog-summary.ts';
import { loadManifest, type ModelView } from '../inference/model-manifest.ts';

export interface ModelFact {
  view: ModelView;
  modelId: string;
  /** Macro recall on the validation blocks of the training home; null when not measured. */
  macroRecall: number | null;
  /**
   * Devices of other labs: instances tested, named as a specific device by the device-level test,
   * the worst dataset's share so named, and those the model's most frequent answer alone would have named.
   */
  unseen: { instances: number; named: number; worstShare: number; baselineNamed: number } | null;
}

/** The facts of the default models in `modelsDir` (empty when it has no readable manifest). */
export function modelFacts(modelsDir: string): ModelFact[] {
  let manifest;
  try {
    manifest = loadManifest(modelsDir);
  } catch {
    return [];
  }
  const summary = readCatalogSummary(modelsDir);
  const facts: ModelFact[] = [];
  for (const [view, id] of Object.entries(manifest.defaults) as [ModelView, string][]) {
    const model = manifest.models.find((m) => m.id === id);
    if (model === undefined) continue;
    const recall = model.metrics.validation?.macroRecall;
    const rows = summary?.views.find((v) => v.view === view)?.unseen.filter((r) => r.instances > 0) ?? [];
    facts.push({
      view,
      modelId: id,
      macroRecall: typeof recall === 'number' ? recall : null,
      unseen:
        rows.length === 0
          ? null
          : {
              instances: rows.reduce((a, r) => a + r.instances, 0),
              named: rows.reduce((a, r) => a + r.named, 0),
              worstShare: Math.max(...rows.map((r) => r.named / r.instances)),
              baselineNamed: rows.reduce((a, r) => a + (r.baselineNamed ?? 0), 0),
            },
    });
  }
  return facts;
}
