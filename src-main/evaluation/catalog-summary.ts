/**
 * What `npm run eval` measured of the catalog's device-level test, kept beside the models
 * (models/evaluation/catalog-test.json) so that a report can say how far its identity verdicts
 * hold: per observer view, how often the test named a specific device for devices of other labs
 * that no model saw (each dataset held out), and how often it recognised the known devices.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelView } from '../inference/model-manifest.ts';
import { knownRates, unseenRates, type OpenSetEvaluation } from './open-set-evaluation.ts';

export const CATALOG_SUMMARY_FILE = 'evaluation/catalog-test.json';

export interface CatalogTestSummary {
  views: {
    view: ModelView;
    /**
     * Devices of other labs, one row per dataset: instances tested, those the test named as a
     * specific device, and those the model's most frequent answer alone would have named.
     */
    unseen: { dataset: string; instances: number; devices: number; named: number; baselineNamed: number }[];
    /** The known (MADEA) validation groups and those recognised as their own class. */
    known: { groups: number; recognised: number };
  }[];
}

/** The summary of an open-set evaluation (see the module comment). */
export function catalogSummary(e: OpenSetEvaluation, views: readonly ModelView[]): CatalogTestSummary {
  return {
    views: views.map((view) => {
      const k = knownRates(e, view);
      return {
        view,
        unseen: e.datasets
          .filter((d) => d !== 'madea')
          .map((d) => {
            const r = unseenRates(e, d, view);
            return {
              dataset: d,
              instances: r.instances,
              devices: r.devices,
              named: r.named,
              baselineNamed: r.baselineNamed,
            };
          }),
        known: { groups: k.groups, recognised: k.recognised },
      };
    }),
  };
}

export function writeCatalogSummary(modelsDir: string, summary: CatalogTestSummary): string {
  const path = join(modelsDir, CATALOG_SUMMARY_FILE);
  writeFileSync(path, `${JSON.stringify(summary, null, 1)}\n`);
  return path;
}

/** The summary kept beside the models, or null when there is none (or it cannot be read). */
export function readCatalogSummary(modelsDir: string): CatalogTestSummary | null {
  const path = join(modelsDir, CATALOG_SUMMARY_FILE);
  if (!existsSync(path)) return null;
  try {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as CatalogTestSummary;
    return Array.isArray(doc.views) ? doc : null;
  } catch {
    return null;
  }
}
