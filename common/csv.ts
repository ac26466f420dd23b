/** RFC 4180 CSV, written by the tables of `metrics show`, `exp show` and `export`. */

/** A field with a comma, quote or line break is quoted, quotes doubled. */
function csvField(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

export function formatCsv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, ...rows].map((cells) => cells.map(csvField).join(',')).join('\n');
}
