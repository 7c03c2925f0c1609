/** Plain-text tables for the terminal: columns padded to their widest cell, long cells cut. */

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** Longest cell kept (default 40); longer cells end in an ellipsis. */
  max?: number;
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const cells = rows.map((row) => columns.map((c, i) => cut(row[i] ?? '', c.max ?? 40)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, i) => (columns[i].align === 'right' ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((c) => c.header)),
    line(widths.map((w) => '-'.repeat(w))),
    ...cells.map(line),
  ].join('\n');
}

/** "2023-06-13 19:02:11" in UTC, the way capture timestamps are shown. */
export function formatTimestamp(ts: number | null): string {
  if (ts === null || !Number.isFinite(ts)) return '-';
  return new Date(ts * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

export { formatBytes } from '../shared/format-bytes.ts';
