/**
 * Plain-text tables in kubectl's style: upper-case headers, columns padded with spaces,
 * no borders. A cell may hold several lines (two pods of a conflict, one under the
 * other), which keeps rows narrow enough for an 80-column terminal instead of putting
 * everything on one long line.
 */

/** A cell: one line, or several stacked. */
export type Cell = string | readonly string[];

/** Spaces between columns. */
const GAP = '  ';

/** How many columns `text` takes (code points: names are ASCII, escapes too). */
function width(text: string): number {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

function linesOf(cell: Cell | undefined): readonly string[] {
  if (cell === undefined) return [''];
  return typeof cell === 'string' ? [cell] : cell.length === 0 ? [''] : cell;
}

/** The lines of a table; the last column is not padded, so no line ends in spaces. */
export function table(header: readonly string[], rows: readonly (readonly Cell[])[], indent = ''): string[] {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.flatMap((row) => linesOf(row[i]).map(width))));
  const line = (cells: readonly string[]): string =>
    indent +
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - width(c)))))
      .join(GAP)
      .trimEnd();
  const out = [line(header)];
  for (const row of rows) {
    const cells = header.map((_h, i) => linesOf(row[i]));
    const height = Math.max(...cells.map((c) => c.length));
    for (let k = 0; k < height; k++) out.push(line(cells.map((c) => c[k] ?? '')));
  }
  return out;
}
