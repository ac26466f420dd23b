/**
 * `show HASH` or `show NODE`: what an object holds, read the way any Arrow reader would, rows whole.
 */
import { statSync } from 'node:fs';
import type { Store } from './store.ts';

export interface ObjectSummary {
  hash: string;
  path: string;
  bytes: number;
  rows: number;
  schema: Array<{ name: string; type: string; nullable: boolean }>;
  metadata: Record<string, string>;
  head: Array<Record<string, unknown>>;
}

export async function describeObject(store: Store, prefix: string, rows = 10): Promise<ObjectSummary> {
  const hash = store.resolveObject(prefix);
  const table = await store.getObject(hash);
  return {
    hash,
    path: store.objectPath(hash),
    bytes: statSync(store.objectPath(hash)).size,
    rows: table.numRows,
    schema: table.schema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable })),
    metadata: Object.fromEntries(table.schema.metadata),
    head: table
      .slice(0, rows)
      .toArray()
      .map((row) => plain(row.toJSON()) as Record<string, unknown>),
  };
}

/** Arrow rows hold bigints and typed arrays; make them printable and JSON-safe. */
export function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<unknown>, plain);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function')
      return plain((value as { toJSON(): unknown }).toJSON());
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

export function formatObject(summary: ObjectSummary): string {
  const lines = [`${summary.hash}  ${summary.path}`, `${summary.rows} rows, ${formatBytes(summary.bytes)}`, 'schema:'];
  for (const f of summary.schema) lines.push(`  ${f.name}: ${f.type}${f.nullable ? '' : ' not null'}`);
  const meta = Object.entries(summary.metadata);
  if (meta.length) {
    lines.push('metadata:');
    for (const [k, v] of meta) lines.push(`  ${k}: ${v.length > 200 ? `${v.slice(0, 200)}…` : v}`);
  }
  if (summary.head.length) {
    const columns = summary.schema.map((f) => f.name);
    const cells = summary.head.map((row) => columns.map((c) => JSON.stringify(row[c]) ?? 'null'));
    const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
    lines.push(`first ${summary.head.length} rows:`);
    lines.push('  ' + columns.map((c, i) => c.padEnd(widths[i])).join('  '));
    for (const row of cells) lines.push('  ' + row.map((v, i) => v.padEnd(widths[i])).join('  '));
  }
  return lines.join('\n') + '\n';
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (bytes >= 1024 && i < units.length - 1) {
    bytes /= 1024;
    i++;
  }
  return `${bytes.toFixed(i ? 1 : 0)} ${units[i]}`;
}
