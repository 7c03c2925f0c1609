/**
 * A row-normalised confusion matrix as a standalone SVG, laid out like the appendix figures of the
 * paper we audit against: true classes as rows, predicted classes as columns, each cell shaded by
 * its share of the row (white 0 → dark blue 1) with the share written in it. Pure string output,
 * byte-identical for identical input.
 */

export interface ConfusionSvgOptions {
  title: string;
  /** Class names (rows and columns, same order). */
  labels: readonly string[];
  /** Row-normalised shares, labels.length × labels.length. */
  shares: readonly (readonly number[])[];
  /** Packets per true class, written after the row name. */
  support?: readonly number[];
}

const CELL = 40;
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Fill for a share: linear from white to #08306b (the "Blues" end). */
function shade(share: number): string {
  const s = Math.min(1, Math.max(0, share));
  const channel = (from: number, to: number): string =>
    Math.round(from + (to - from) * s)
      .toString(16)
      .padStart(2, '0');
  return `#${channel(255, 8)}${channel(255, 48)}${channel(255, 107)}`;
}

/** Share as text in a cell: two decimals, "1" and "0" bare, blank for exact zero. */
function cellText(share: number): string {
  if (share === 0) return '';
  if (share >= 0.995) return '1';
  return share.toFixed(2).replace(/^0/, '');
}

export function confusionSvg(options: ConfusionSvgOptions): string {
  const { labels, shares, support } = options;
  const n = labels.length;
  const rowNames = labels.map((l, i) => (support === undefined ? l : `${l} (${support[i]})`));
  const longest = Math.max(...rowNames.map((l) => l.length), ...labels.map((l) => l.length));
  const left = 20 + Math.ceil(longest * 6.2);
  const slant = Math.ceil(Math.max(...labels.map((l) => l.length)) * 6.2 * 0.72);
  const top = 40 + slant;
  const width = Math.max(left + n * CELL + 20 + slant, Math.ceil(options.title.length * 8) + 20);
  const height = top + n * CELL + 40;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="20" font-size="14" text-anchor="middle" font-weight="bold">${escapeXml(options.title)}</text>`,
  );
  // Predicted class names, slanted above the columns.
  labels.forEach((label, j) => {
    const x = left + j * CELL + CELL / 2;
    const y = top - 6;
    parts.push(
      `<text x="${x}" y="${y}" font-size="10" transform="rotate(-45 ${x} ${y})">${escapeXml(label)}</text>`,
    );
  });
  rowNames.forEach((name, i) => {
    const y = top + i * CELL + CELL / 2 + 4;
    parts.push(`<text x="${left - 6}" y="${y}" font-size="10" text-anchor="end">${escapeXml(name)}</text>`);
    for (let j = 0; j < n; j++) {
      const share = shares[i][j];
      const x = left + j * CELL;
      const cy = top + i * CELL;
      parts.push(
        `<rect x="${x}" y="${cy}" width="${CELL}" height="${CELL}" fill="${shade(share)}" stroke="#d0d0d0" stroke-width="0.5"/>`,
      );
      const text = cellText(share);
      if (text !== '') {
        parts.push(
          `<text x="${x + CELL / 2}" y="${cy + CELL / 2 + 4}" font-size="11" text-anchor="middle" fill="${share > 0.5 ? '#ffffff' : '#000000'}">${text}</text>`,
        );
      }
    }
  });
  const axisY = top + n * CELL + 24;
  parts.push(
    `<text x="${left + (n * CELL) / 2}" y="${axisY}" font-size="12" text-anchor="middle">predicted class</text>`,
    `<text x="12" y="${top + (n * CELL) / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 12 ${top + (n * CELL) / 2})">true class (packets)</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
