/**
 * Tables for people and for other programs: aligned plain text, Markdown and CSV from the same header and cells,
 * and the columns that place a row in the experiment.
 */
import { extraKeys, type Cell, type Place } from './eval-points.ts';
export { formatCsv } from '../common/csv.ts';

/** A metric value: integers as they are, other numbers with 4 decimals, anything else as text. */
export function formatValue(value: Cell | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(4);
  return String(value);
}

/** A difference: signed, as formatValue; '' for none. */
export function formatDelta(delta: number | null): string {
  if (delta === null) return '';
  return (delta > 0 ? '+' : '') + formatValue(delta);
}

const NUMERIC = /^[+-]?(\d|\.\d)/;

export type Rows = readonly (readonly string[])[];
/** Aligned text or Markdown: what a table for people is printed with. */
export type TableFormat = (header: readonly string[], rows: Rows) => string;

/** Aligned columns: a column holding any number is right-aligned, others left-aligned. */
export function formatTable(header: readonly string[], rows: Rows): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const right = header.map((_, i) => rows.some((r) => NUMERIC.test(r[i]!)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A GitHub-flavoured Markdown table; numeric columns right-aligned. */
export function formatMarkdown(header: readonly string[], rows: Rows): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const right = header.map((_, i) => rows.some((r) => NUMERIC.test(r[i]!)));
  const line = (cells: readonly string[]) => `| ${cells.map(escape).join(' | ')} |`;
  return [line(header), `|${right.map((r) => (r ? '---:' : '---')).join('|')}|`, ...rows.map(line)].join('\n');
}

/**
 * The columns that place a row: cycle, λ, the other swept keys, seed (unless `seed` is false) and generation
 * (unless `generation` is false: a row of a whole series).
 */
export function placeColumns(
  places: readonly Place[],
  seed = true,
  generation = true,
): { header: string[]; cells: (p: Place) => string[] } {
  const keys = extraKeys(places);
  return {
    header: ['cycle', 'λ', ...keys, ...(seed ? ['seed'] : []), ...(generation ? ['gen'] : [])],
    cells: (p) =>
      [
        p.cycle,
        p.lambda,
        ...keys.map((k) => p.extra[k]),
        ...(seed ? [p.seed] : []),
        ...(generation ? [p.generation] : []),
      ].map((v) => (v === undefined ? '' : String(v))),
  };
}
