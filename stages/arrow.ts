/** Small Arrow helpers shared by the stages. */
import { Schema, Table } from 'apache-arrow';

/** The same columns with key-value metadata on the schema (what any Arrow reader shows as the table's metadata). */
export function withMetadata(table: Table, metadata: Record<string, string>): Table {
  return new Table(new Schema(table.schema.fields, new Map(Object.entries(metadata))), table.batches);
}
