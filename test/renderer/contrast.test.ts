/**
 * WCAG AA contrast (4.5:1 for text) of every text colour on the backgrounds it is drawn on, in both
 * themes, read from the theme's variables in app.css: body and muted text, links, the severity
 * colours as text (findings, meters) and as badges with their text, the status colours.
 */
/// <reference types="node" />
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const CSS = readFileSync(resolve(import.meta.dirname, '../../src-renderer/styles/app.css'), 'utf8');

function block(selector: string): Record<string, string> {
  const at = CSS.indexOf(`${selector} {`);
  if (at < 0) throw new Error(`app.css: no ${selector} block`);
  const body = CSS.slice(at, CSS.indexOf('}', at));
  const vars: Record<string, string> = {};
  for (const m of body.matchAll(/--([\w-]+):\s*(#[0-9a-fA-F]{6})\s*;/g)) vars[m[1]] = m[2];
  return vars;
}

function luminance(hex: string): number {
  const channel = (i: number): number => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

const light = block(':root');
const themes = { light, dark: { ...light, ...block(":root[data-theme='dark']") } };

/** [text, background] pairs the UI draws. */
const PAIRS: [string, string][] = [
  ['text', 'bg'],
  ['text', 'panel'],
  ['text', 'panel-2'],
  ['muted', 'bg'],
  ['muted', 'panel'],
  ['muted', 'panel-2'],
  ['accent', 'bg'],
  ['accent', 'panel'],
  ['accent-text', 'accent'],
  ...(['high', 'medium', 'low', 'info', 'ok'] as const).flatMap((c): [string, string][] => [
    [c, 'panel'],
    [c, 'bg'],
  ]),
  ...(['high', 'medium', 'low', 'info'] as const).map((c): [string, string] => ['on-sev', c]),
];

describe('contrast', () => {
  for (const [name, vars] of Object.entries(themes))
    it(`meets WCAG AA for text in the ${name} theme`, () => {
      for (const [fg, bg] of PAIRS) {
        expect(vars[fg], `--${fg}`).toMatch(/^#/);
        expect(vars[bg], `--${bg}`).toMatch(/^#/);
        expect(contrast(vars[fg], vars[bg]), `${name}: --${fg} on --${bg}`).toBeGreaterThanOrEqual(4.5);
      }
    });
});
