/**
 * The versioned feature spec (feature-spec.json): for each observer view, the ordered list of
 * per-packet features with their meaning, normalisation and value range. It is JSON so that the
 * Python training code reads the same definition; models name the spec version they expect.
 */
import specJson from './feature-spec.json' with { type: 'json' };
import { VIEW_NAMES, type ViewName } from '../views/view-packet.ts';

export type FeatureNormalisation =
  /** min(max(x, 0), max) / max */
  | { kind: 'clip'; max: number }
  /** ln(1 + inputScale · min(max(x, 0), max)) / ln(1 + inputScale · max) */
  | { kind: 'log1p'; max: number; inputScale: number }
  /** 0 or 1; exactly one feature of the group is 1 */
  | { kind: 'onehot'; group: string }
  /** 0 or 1 */
  | { kind: 'binary' };

export interface FeatureDefinition {
  name: string;
  type: 'float32';
  description: string;
  normalisation: FeatureNormalisation;
  /** Inclusive bounds of the value the extractor writes. */
  range: readonly [number, number];
}

export interface FeatureSpec {
  version: number;
  description?: string;
  views: Readonly<Record<ViewName, readonly FeatureDefinition[]>>;
}

export class FeatureSpecError extends Error {
  override name = 'FeatureSpecError';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function positiveNumber(v: unknown, where: string): number {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
    throw new FeatureSpecError(`${where}: expected a positive number`);
  }
  return v;
}

function parseNormalisation(v: unknown, where: string): FeatureNormalisation {
  if (!isRecord(v)) throw new FeatureSpecError(`${where}: normalisation must be an object`);
  switch (v.kind) {
    case 'clip':
      return { kind: 'clip', max: positiveNumber(v.max, `${where}.max`) };
    case 'log1p':
      return {
        kind: 'log1p',
        max: positiveNumber(v.max, `${where}.max`),
        inputScale: positiveNumber(v.inputScale, `${where}.inputScale`),
      };
    case 'onehot':
      if (typeof v.group !== 'string') throw new FeatureSpecError(`${where}: onehot needs a group`);
      return { kind: 'onehot', group: v.group };
    case 'binary':
      return { kind: 'binary' };
    default:
      throw new FeatureSpecError(`${where}: unknown normalisation kind ${String(v.kind)}`);
  }
}

function parseDefinition(v: unknown, where: string): FeatureDefinition {
  if (!isRecord(v)) throw new FeatureSpecError(`${where}: feature must be an object`);
  const { name, type, description, range } = v;
  if (typeof name !== 'string' || name === '') throw new FeatureSpecError(`${where}: name must be a string`);
  if (type !== 'float32') throw new FeatureSpecError(`${where} (${name}): type must be float32`);
  if (typeof description !== 'string') throw new FeatureSpecError(`${where} (${name}): description missing`);
  if (
    !Array.isArray(range) ||
    range.length !== 2 ||
    typeof range[0] !== 'number' ||
    typeof range[1] !== 'number' ||
    range[0] > range[1]
  ) {
    throw new FeatureSpecError(`${where} (${name}): range must be [min, max]`);
  }
  return {
    name,
    type,
    description,
    normalisation: parseNormalisation(v.normalisation, `${where} (${name})`),
    range: [range[0], range[1]],
  };
}

/** Validates a parsed feature-spec JSON document. */
export function parseFeatureSpec(json: unknown): FeatureSpec {
  if (!isRecord(json)) throw new FeatureSpecError('feature spec must be an object');
  if (typeof json.version !== 'number' || !Number.isInteger(json.version) || json.version < 1) {
    throw new FeatureSpecError('feature spec version must be a positive integer');
  }
  const views = json.views;
  if (!isRecord(views)) throw new FeatureSpecError('feature spec needs "views"');
  const parsed = {} as Record<ViewName, readonly FeatureDefinition[]>;
  for (const view of VIEW_NAMES) {
    const list = views[view];
    if (!Array.isArray(list) || list.length === 0)
      throw new FeatureSpecError(`views.${view} must be a non-empty list`);
    const defs = list.map((d, i) => parseDefinition(d, `views.${view}[${i}]`));
    const seen = new Set<string>();
    for (const d of defs) {
      if (seen.has(d.name)) throw new FeatureSpecError(`views.${view}: duplicate feature ${d.name}`);
      seen.add(d.name);
    }
    parsed[view] = defs;
  }
  return {
    version: json.version,
    description: typeof json.description === 'string' ? json.description : undefined,
    views: parsed,
  };
}

/** The spec shipped with this build. */
export const FEATURE_SPEC: FeatureSpec = parseFeatureSpec(specJson);
export const FEATURE_SPEC_VERSION: number = FEATURE_SPEC.version;

/** Feature names of a view, in vector order. */
export function featureNames(view: ViewName, spec: FeatureSpec = FEATURE_SPEC): readonly string[] {
  return spec.views[view].map((d) => d.name);
}

/** Length of a view's feature vector. */
export function featureCount(view: ViewName, spec: FeatureSpec = FEATURE_SPEC): number {
  return spec.views[view].length;
}

/** Vector length per view in the shipped spec. */
export const FEATURE_COUNTS: Readonly<Record<ViewName, number>> = {
  lan: featureCount('lan'),
  napt: featureCount('napt'),
  vpn: featureCount('vpn'),
};
