/**
 * Model weights as an Arrow table: one row per tensor with name (utf8), shape (list<int32>) and values
 * (list<float32>, copied bit for bit); the GPTConfig and vocabulary live in the schema metadata. Training
 * checkpoints use the same layout with more tensors and more metadata (train.ts).
 */
import { Field, Float32, Int32, List, Schema, Table, Utf8, makeData, makeVector, type Data, vectorFromArray, type Vector } from 'apache-arrow';
import { parameterShapes, validateGPTConfig, type GPTConfig } from './config.ts';
import type { HostParams } from './gpt.ts';
import { VOCABULARY } from './tokenizer.ts';

export interface TensorRecord {
  name: string;
  shape: number[];
  values: Float32Array;
}

export const CONFIG_KEY = 'gpt.config';
const VOCABULARY_KEY = 'gpt.vocabulary';

function listVector(type: Int32 | Float32, arrays: ArrayLike<number>[]): Vector<List<Int32 | Float32>> {
  const offsets = new Int32Array(arrays.length + 1);
  arrays.forEach((a, i) => (offsets[i + 1] = offsets[i] + a.length));
  const flat = type instanceof Int32 ? new Int32Array(offsets[arrays.length]) : new Float32Array(offsets[arrays.length]);
  arrays.forEach((a, i) => flat.set(a, offsets[i]));
  const child = makeData({ type, length: flat.length, nullCount: 0, data: flat } as Parameters<typeof makeData>[0]);
  const listType = new List<Int32 | Float32>(new Field('item', type, false));
  return makeVector(makeData({ type: listType, length: arrays.length, nullCount: 0, valueOffsets: offsets, child: child as Data<Int32 | Float32> }));
}

export function tensorsToTable(records: TensorRecord[], metadata: Map<string, string>): Table {
  const name = vectorFromArray(records.map((r) => r.name), new Utf8());
  const shape = listVector(new Int32(), records.map((r) => r.shape));
  const values = listVector(new Float32(), records.map((r) => r.values));
  const schema = new Schema(
    [new Field('name', new Utf8(), false), new Field('shape', shape.type, false), new Field('values', values.type, false)],
    metadata,
  );
  return new Table(schema, { name, shape, values });
}

export function tensorsFromTable(table: Table): TensorRecord[] {
  const names = table.getChild('name');
  const shapes = table.getChild('shape');
  const values = table.getChild('values');
  if (!names || !shapes || !values) throw new Error('not a weights table: it needs columns name, shape and values');
  const records: TensorRecord[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const v = values.get(i) as Vector<Float32>;
    records.push({
      name: String(names.get(i)),
      shape: Array.from((shapes.get(i) as Vector<Int32>).toArray()),
      values: Float32Array.from(v.toArray()),
    });
  }
  return records;
}

/** The model's weights as a table; the config and vocabulary go in the metadata. */
export function weightsToTable(config: GPTConfig, params: HostParams, metadata: Map<string, string> = new Map()): Table {
  const records = parameterShapes(config).map(([name, shape]) => {
    const values = params.get(name);
    if (!values) throw new Error(`weightsToTable: missing parameter ${name}`);
    return { name, shape, values };
  });
  const meta = new Map(metadata);
  meta.set(CONFIG_KEY, JSON.stringify(config));
  meta.set(VOCABULARY_KEY, JSON.stringify(VOCABULARY));
  return tensorsToTable(records, meta);
}

export function configFromTable(table: Table): GPTConfig {
  const text = table.schema.metadata.get(CONFIG_KEY);
  if (!text) throw new Error(`not a GPT weights table: no ${CONFIG_KEY} in the schema metadata`);
  const config = JSON.parse(text) as GPTConfig;
  validateGPTConfig(config);
  return config;
}

/** The inverse of weightsToTable: the config and every parameter, checked against the config's shapes. */
export function weightsFromTable(table: Table): { config: GPTConfig; params: HostParams } {
  const config = configFromTable(table);
  const vocabulary = table.schema.metadata.get(VOCABULARY_KEY);
  if (vocabulary !== undefined && vocabulary !== JSON.stringify(VOCABULARY)) {
    throw new Error(`weights were trained on vocabulary ${vocabulary}, this code uses ${JSON.stringify(VOCABULARY)}`);
  }
  const byName = new Map(tensorsFromTable(table).map((r) => [r.name, r]));
  const params: HostParams = new Map();
  for (const [name, shape] of parameterShapes(config)) {
    const record = byName.get(name);
    if (!record) throw new Error(`weights table lacks parameter ${name}`);
    if (record.shape.join() !== shape.join()) throw new Error(`parameter ${name} has shape [${record.shape}], the config implies [${shape}]`);
    params.set(name, record.values);
  }
  return { config, params };
}
