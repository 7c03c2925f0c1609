/**
 * CSV as Python's csv module and spreadsheets read it (RFC 4180): cells joined by commas, a cell
 * quoted when it holds a comma, a quote or a line break (its quotes doubled); numbers that are not
 * whole written with 4 decimals; null as an empty cell.
 */
export type CsvValue = string | number | boolean | null;

export function csvCell(value: CsvValue): string {
  if (value === null) return '';
  const text =
    typeof value === 'number'
      ? Number.isInteger(value)
        ? String(value)
        : value.toFixed(4)
      : typeof value === 'boolean'
        ? String(value)
        : value;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly CsvValue[]): string {
  return values.map(csvCell).join(',');
}

/** A whole CSV document: the header, then one line per row, each ending in a newline. */
export function csvDocument(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  return [csvLine(header), ...rows.map(csvLine)].map((l) => `${l}\n`).join('');
}
