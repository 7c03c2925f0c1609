/**
 * `telltale eval` (`npm run eval`): evaluates every bundled model on the model contract's
 * validation split and writes `models/EVALUATION.md` with one confusion-matrix SVG per model under
 * `models/evaluation/`.
 *
 * The data is built exactly as the training recipe builds it: a feature dataset over every MADEA
 * capture with its labels.csv, once per observer view, into a work folder (a temporary one unless
 * one is given); then the split by the manifest's time block, runs by segment and split, and the
 * runtime's own windowing, stitching and flow pooling. Every number in the output is a function of
 * the data and the models only (no dates, no absolute paths), so a rerun writes identical files.
 * Then each view's default model is scored again on the same split built with each of
 * EVAL_DEFENCES (each defended dataset is removed once scored), the activity timelines on the
 * phase-labelled captures, real camera uploads spliced into the MADEA home at random times
 * (spliced-uploads.ts), the catalog's device-level test on devices no model saw and on the
 * validation split (open-set-evaluation.ts), the observer trained on each home's own traffic
 * (in-home-evaluation.ts), and the device-category models, measured leave-one-device-out and
 * leave-one-dataset-out and written to `models/category-<view>.json` (category-evaluation.ts; the
 * one thing `eval` writes besides the report: the model's threshold is the evaluation's choice).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnalysisProgress } from '../audit/capture-analysis.ts';
import { findModel, loadManifest, MODEL_VIEWS, type ModelView } from '../inference/model-manifest.ts';
import { defenceId } from '../views/defences.ts';
import type { TunnelProfileName } from '../views/tunnel-profiles.ts';
import { confusionSvg } from './confusion-svg.ts';
import { runCategoryStudy } from './category-evaluation.ts';
import { haveActivityDatasets, inHomeCases, madeaCaptures, unseenCaptureSets } from './datasets.ts';
import { EVAL_DEFENCES, evaluateDefence, type DefenceEvaluation } from './defence-evaluation.ts';
import { evaluationMarkdown, svgName } from './evaluation-report.ts';
import { evaluateInHome } from './in-home-evaluation.ts';
import { f3, pct } from './markdown.ts';
import {
  buildValidationData,
  evaluateModel,
  manifestBlockSeconds,
  type ModelEvaluation,
} from './model-evaluation.ts';
import { catalogSummary, writeCatalogSummary } from './catalog-summary.ts';
import { evaluateOpenSet, knownRates, unseenRates } from './open-set-evaluation.ts';
import { evaluateActivity } from './phase-evaluation.ts';
import { evaluateSplicedUploads } from './spliced-uploads.ts';

export interface EvaluationOptions {
  modelsDir: string;
  datasetsDir: string;
  /** Where the per-view datasets are written; null: a temporary folder, removed afterwards. */
  workDir: string | null;
  vpnProfile: TunnelProfileName | undefined;
}

/** Where the evaluation says how it goes: lines of text, and the reading's progress. */
export interface EvaluationLog {
  note(text: string): void;
  progress?(label: string, fraction: number | null, packets: number): void;
}

export interface EvaluationOutcome {
  /** The EVALUATION.md written. */
  markdown: string;
  svgDir: string;
  models: number;
}

export async function runEvaluation(args: EvaluationOptions, log: EvaluationLog): Promise<EvaluationOutcome> {
  const onProgress = (view: ModelView, p: AnalysisProgress): void => {
    log.progress?.(
      `${view} ${p.filesDone + 1}/${p.filesTotal} ${p.file.split('/').pop() ?? ''}`,
      p.fraction,
      p.packets,
    );
  };
  const manifest = loadManifest(args.modelsDir);
  const views = MODEL_VIEWS.filter((v) => manifest.models.some((m) => m.view === v));
  const { captures, labels: madeaLabels } = madeaCaptures(args.datasetsDir);
  const workDir = args.workDir ?? mkdtempSync(join(tmpdir(), 'telltale-eval-'));
  try {
    log.note(`Building the validation split from ${captures.length} captures (${views.join(', ')})\n`);
    const data = await buildValidationData(
      args.datasetsDir,
      workDir,
      views,
      manifestBlockSeconds(manifest),
      onProgress,
      args.vpnProfile,
    );
    const results: ModelEvaluation[] = [];
    for (const model of manifest.models) {
      const r = await evaluateModel(args.modelsDir, model, data.get(model.view)!);
      log.note(
        `  ${model.id}: macro recall ${f3(r.metrics.macroRecall)}, micro accuracy ${f3(r.metrics.microAccuracy)} ` +
          `(${r.metrics.packets} packets, ${r.seconds.toFixed(1)} s)\n`,
      );
      results.push(r);
    }
    const svgDir = join(args.modelsDir, 'evaluation');
    mkdirSync(svgDir, { recursive: true });
    // matrices of models no longer in the manifest would be stale
    const keep = new Set(results.map((r) => svgName(r.model)));
    for (const f of readdirSync(svgDir))
      if (/^confusion-.*\.svg$/.test(f) && !keep.has(f)) rmSync(join(svgDir, f));
    for (const r of results) {
      writeFileSync(
        join(svgDir, svgName(r.model)),
        confusionSvg({
          title: `${r.model.id} — ${r.model.view.toUpperCase()} view, validation (row-normalised)`,
          labels: r.model.labels,
          shares: r.metrics.confusionNormalised,
          support: r.metrics.perClass.map((c) => c.support),
        }),
      );
    }
    const defences: DefenceEvaluation[] = [];
    for (const view of views) {
      const base = results.find((r) => r.model.id === manifest.defaults[view]);
      if (base === undefined) continue;
      for (const defence of EVAL_DEFENCES) {
        const r = await evaluateDefence(
          args,
          base.model,
          defence,
          manifestBlockSeconds(manifest),
          workDir,
          args.vpnProfile,
          onProgress,
        );
        log.note(
          `  ${base.model.id} with ${defenceId(defence)}: macro recall ${f3(r.metrics.macroRecall)}, ` +
            `micro accuracy ${f3(r.metrics.microAccuracy)}, ${pct(r.costShare)} more traffic\n`,
        );
        defences.push(r);
      }
    }
    // first: the audits below read the category models and the wider catalog this writes
    log.note(
      'Training and measuring the device-category models and the wider catalog (leave one device, then one dataset, out)\n',
    );
    const napt = manifest.models.find((m) => m.view === 'napt');
    const category = await runCategoryStudy({
      datasetsDir: args.datasetsDir,
      modelsDir: args.modelsDir,
      views,
      vpnProfile: args.vpnProfile,
      wideMerged: napt === undefined ? undefined : findModel(manifest, manifest.defaults.napt).labelMembers,
    });
    for (const v of category.views) {
      const out = v.leaveOneDeviceOut
        .map((r) => `${r.dataset} ${r.rates.right} right, ${r.rates.none} none, ${r.rates.wrong} wrong`)
        .join('; ');
      log.note(`  ${v.view} (threshold ${v.threshold.toFixed(2)}): ${out}\n`);
    }
    if (category.wide !== null) {
      const w = category.wide;
      const unseen = w.leaveOneKindOut.map((r) => `${r.dataset} ${r.named}/${r.instances} named`).join(', ');
      const known = w.known.map((r) => `${r.dataset} ${r.recognised}/${r.instances}`).join(', ');
      log.note(`  wider catalog, ${w.kinds} kinds: kind left out ${unseen}; known recognised ${known}\n`);
    }
    log.note(`  wrote ${category.written.join(', ')} (${category.seconds.toFixed(1)} s)\n`);
    const haveExtras = haveActivityDatasets(args.datasetsDir);
    log.note(haveExtras ? 'Scoring activity timelines on the phase-labelled captures\n' : '');
    const activity = haveExtras
      ? await evaluateActivity(args.datasetsDir, { modelsDir: args.modelsDir })
      : null;
    log.note('Splicing real camera uploads into the MADEA home at random times\n');
    const spliced = await evaluateSplicedUploads({
      datasetsDir: args.datasetsDir,
      modelsDir: args.modelsDir,
      vpnProfile: args.vpnProfile,
    });
    for (const device of [...new Set(spliced.results.map((x) => x.device))]) {
      const runs = spliced.results.filter((x) => x.device === device);
      const found = (tl: string): string => {
        const s = runs.flatMap((x) => x.scores.filter((y) => y.timeline === tl));
        return `${s.reduce((a, y) => a + y.found, 0)}/${s.reduce((a, y) => a + y.inserted, 0)}`;
      };
      log.note(
        `  ${device}: found ${found('truth')} (truth), ${found('napt')} (NAPT), ${found('vpn')} (VPN)\n`,
      );
    }
    log.note(`  (${spliced.seconds.toFixed(1)} s)\n`);
    const haveUnseen = unseenCaptureSets(args.datasetsDir).length > 0;
    log.note(haveUnseen ? "Measuring the catalog's device-level test on devices no model saw\n" : '');
    const openSet = haveUnseen
      ? await evaluateOpenSet({
          modelsDir: args.modelsDir,
          datasetsDir: args.datasetsDir,
          vpnProfile: args.vpnProfile,
          data,
          blockSeconds: manifestBlockSeconds(manifest),
          madeaLabels,
        })
      : null;
    if (openSet !== null) {
      for (const view of views) {
        const parts = openSet.datasets
          .filter((d) => d !== 'madea')
          .map((d) => {
            const r = unseenRates(openSet, d, view);
            return `${d} ${r.named}/${r.instances} named`;
          });
        const k = knownRates(openSet, view);
        log.note(`  ${view}: ${parts.join(', ')}; known ${k.recognised}/${k.groups} recognised\n`);
      }
      log.note(`  (${openSet.seconds.toFixed(1)} s)\n`);
      log.note(`  wrote ${writeCatalogSummary(args.modelsDir, catalogSummary(openSet, views))}\n`);
    }
    const haveHomes = inHomeCases(args.datasetsDir).length > 0;
    log.note(haveHomes ? "Measuring the observer trained on each home's own traffic\n" : '');
    const t0 = Date.now();
    const inHome = haveHomes
      ? await evaluateInHome({
          modelsDir: args.modelsDir,
          datasetsDir: args.datasetsDir,
          vpnProfile: args.vpnProfile,
          note: (text) => {
            log.note(text);
          },
        })
      : null;
    log.note(haveHomes ? `  (${((Date.now() - t0) / 1000).toFixed(1)} s)\n` : '');
    const markdown = evaluationMarkdown(
      results,
      data,
      manifest,
      args.modelsDir,
      args.datasetsDir,
      captures.length,
      args.vpnProfile ?? 'openvpn-aes-256-gcm',
      activity,
      defences,
      openSet,
      inHome,
      spliced,
      category,
    );
    const out = join(args.modelsDir, 'EVALUATION.md');
    writeFileSync(out, markdown);
    return { markdown: out, svgDir, models: results.length };
  } finally {
    if (args.workDir === null) rmSync(workDir, { recursive: true, force: true });
  }
}
