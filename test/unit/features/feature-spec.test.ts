import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FEATURE_COUNTS,
  FEATURE_SPEC,
  FEATURE_SPEC_VERSION,
  featureNames,
  parseFeatureSpec,
} from '../../../src-main/features/feature-spec.ts';
import { FeatureExtractor, KNOWN_FEATURES } from '../../../src-main/features/feature-extractor.ts';
import { VIEW_NAMES } from '../../../src-main/views/view-packet.ts';

const specPath = path.resolve(import.meta.dirname, '../../../src-main/features/feature-spec.json');

describe('feature spec', () => {
  it('is plain JSON with a version and a list per view (what the Python training code reads)', () => {
    const json = JSON.parse(readFileSync(specPath, 'utf8')) as {
      version: number;
      views: Record<string, unknown[]>;
    };
    expect(json.version).toBe(2);
    expect(FEATURE_SPEC_VERSION).toBe(2);
    expect(Object.keys(json.views).sort()).toEqual(['lan', 'napt', 'vpn']);
    for (const view of VIEW_NAMES) expect(json.views[view].length).toBe(FEATURE_COUNTS[view]);
  });

  it('uses only features the extractor knows, each float32 in [0, 1]', () => {
    for (const view of VIEW_NAMES) {
      for (const def of FEATURE_SPEC.views[view]) {
        expect(KNOWN_FEATURES).toContain(def.name);
        expect(def.type).toBe('float32');
        expect(def.range).toEqual([0, 1]);
        expect(def.description.length).toBeGreaterThan(10);
      }
    }
  });

  it('starts from the paper’s vector: length, direction, time since previous, remote port, protocol flags', () => {
    const napt = featureNames('napt');
    for (const name of [
      'frame_length',
      'dir_up',
      'iat_prev',
      'remote_port_443',
      'proto_ip',
      'proto_tcp',
      'proto_udp',
      'proto_tls',
      'proto_http',
      'proto_dns',
      'proto_other',
    ]) {
      expect(napt).toContain(name);
    }
    expect(featureNames('lan')).toContain('dir_local');
  });

  it('gives the VPN view nothing from inner headers', () => {
    const vpn = featureNames('vpn');
    expect(vpn.some((n) => /port|proto|tcp_|flow_|ipv6/.test(n))).toBe(false);
    const leaky = structuredClone(FEATURE_SPEC) as unknown as { views: Record<string, unknown[]> };
    leaky.views.vpn = [
      ...FEATURE_SPEC.views.vpn,
      FEATURE_SPEC.views.napt.find((d) => d.name === 'proto_tls'),
    ];
    expect(() => new FeatureExtractor('vpn', parseFeatureSpec(leaky))).toThrow(/VPN carrier cannot see/);
  });

  it('rejects malformed specs', () => {
    expect(() => parseFeatureSpec(null)).toThrow();
    expect(() => parseFeatureSpec({ version: 0, views: {} })).toThrow(/version/);
    const base = JSON.parse(readFileSync(specPath, 'utf8')) as { views: { lan: Record<string, unknown>[] } };
    const dup = structuredClone(base);
    dup.views.lan.push(dup.views.lan[0]);
    expect(() => parseFeatureSpec(dup)).toThrow(/duplicate/);
    const badNorm = structuredClone(base);
    badNorm.views.lan[0].normalisation = { kind: 'zscore' };
    expect(() => parseFeatureSpec(badNorm)).toThrow(/unknown normalisation/);
    const unknown = structuredClone(base);
    unknown.views.lan[0].name = 'src_ip';
    expect(() => new FeatureExtractor('lan', parseFeatureSpec(unknown))).toThrow(/unknown feature src_ip/);
  });
});
