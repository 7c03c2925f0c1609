/** Markdown pieces the evaluation report is written with: number formats, tables, any JSON document. */

export const f3 = (v: number): string => v.toFixed(3);
export const pct = (v: number): string => `${(100 * v).toFixed(1)} %`;

export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly number[] = [],
): string {
  const align = header.map((_, i) => (right.includes(i) ? '---:' : '---'));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), `|${align.join('|')}|`, ...rows.map(line)].join('\n');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function cellValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(3);
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '-';
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object')) return v.map(cellValue).join(', ');
  return JSON.stringify(v);
}

/** Renders any JSON document as headings, key/value tables and row tables. */
export function renderJson(value: unknown, title: string, depth: number): string {
  const heading = `${'#'.repeat(Math.min(6, depth))} ${title}`;
  if (Array.isArray(value) && value.length > 0 && value.every(isRecord)) {
    const keys: string[] = [];
    for (const row of value) for (const k of Object.keys(row)) if (!keys.includes(k)) keys.push(k);
    return `${heading}\n\n${table(
      keys,
      value.map((row) => keys.map((k) => cellValue(row[k]))),
    )}\n`;
  }
  if (isRecord(value)) {
    const flat = Object.entries(value).filter(
      ([, v]) => !isRecord(v) && !(Array.isArray(v) && v.some(isRecord)),
    );
    const nested = Object.entries(value).filter(
      ([, v]) => isRecord(v) || (Array.isArray(v) && v.some(isRecord)),
    );
    const parts = [heading, ''];
    if (flat.length > 0)
      parts.push(
        table(
          ['', 'value'],
          flat.map(([k, v]) => [k, cellValue(v)]),
        ),
        '',
      );
    for (const [k, v] of nested) parts.push(renderJson(v, k, depth + 1));
    return parts.join('\n');
  }
  return `${heading}\n\n${cellValue(value)}\n`;
}
