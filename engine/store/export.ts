/**
 * `export`: an object's table as CSV, JSON lines or Parquet, for tools that do not read Arrow IPC. Parquet is
 * written by parquet-wasm (the Rust arrow/parquet crates compiled to WebAssembly), from the table's own Arrow
 * data: no row conversion, and nothing native to install.
 */
import type { Table } from 'apache-arrow';
import { formatCsv } from '../../common/csv.ts';
import { plain } from './show.ts';

export const EXPORT_FORMATS = ['csv', 'jsonl', 'parquet'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** A CSV cell: null empty, text as it is, lists and binaries as JSON. */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export async function exportTable(table: Table, format: ExportFormat): Promise<Uint8Array> {
  const rows = () => table.toArray().map((row) => plain(row.toJSON()) as Record<string, unknown>);
  const names = table.schema.fields.map((f) => f.name);
  switch (format) {
    case 'csv':
      return Buffer.from(
        formatCsv(
          names,
          rows().map((row) => names.map((n) => csvCell(row[n]))),
        ) + '\n',
      );
    case 'jsonl':
      return Buffer.from(
        rows()
          .map((row) => JSON.stringify(row) + '\n')
          .join(''),
      );
    case 'parquet': {
      const [{ tableToIPC }, parquet] = await Promise.all([import('apache-arrow'), import('parquet-wasm/node')]);
      return parquet.writeParquet(parquet.Table.fromIPCStream(tableToIPC(table, 'stream')));
    }
  }
}
