/**
 * The one table shape for every set of expressions in the experiment: D_0, D_t and S_t.
 * Columns: expression (utf8, tokens joined by single spaces), origin (utf8: real | fresh | synthetic),
 * generation (int32: the generation that produced the row: 0 for D_0, t for S_t, t+1 for fresh data of D_{t+1}).
 */
import { Table, Utf8, makeVector, vectorFromArray } from 'apache-arrow';
import { withMetadata } from './arrow.ts';

export type Origin = 'real' | 'fresh' | 'synthetic';

export interface ExpressionRow {
  expression: string;
  origin: Origin;
  generation: number;
}

export function expressionTable(rows: readonly ExpressionRow[], metadata: Record<string, string> = {}): Table {
  const columns = new Table({
    expression: vectorFromArray(
      rows.map((r) => r.expression),
      new Utf8(),
    ),
    origin: vectorFromArray(
      rows.map((r) => r.origin),
      new Utf8(),
    ),
    generation: makeVector(Int32Array.from(rows, (r) => r.generation)),
  });
  return withMetadata(columns, metadata);
}

export function expressionRows(table: Table): ExpressionRow[] {
  const expression = table.getChild('expression');
  const origin = table.getChild('origin');
  const generation = table.getChild('generation');
  if (!expression || !origin || !generation) {
    const columns = table.schema.fields.map((f) => f.name).join(', ');
    throw new Error(`expected columns expression, origin, generation; the table has: ${columns}`);
  }
  const rows: ExpressionRow[] = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    rows[i] = { expression: expression.get(i), origin: origin.get(i), generation: generation.get(i) };
  }
  return rows;
}

export const expressionsOf = (table: Table): string[] => expressionRows(table).map((r) => r.expression);
