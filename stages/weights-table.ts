/**
 * What the model stages store, as Arrow tables; model/ itself speaks typed arrays and plain objects.
 *
 * Weights: one row per tensor with name (utf8), shape (list<int32>) and values (list<float32>, copied bit for bit);
 * the GPTConfig and vocabulary live in the schema metadata. A training checkpoint has the same layout with the
 * optimiser's tensors too and the training state in the metadata. The log: one row per step.
 */
import {
  Field,
  Float32,
  Float64,
  Int32,
  List,
  Schema,
  Table,
  Utf8,
  makeData,
  makeVector,
  type Data,
  vectorFromArray,
  type Vector,
} from 'apache-arrow';
import type { StageContext } from '../engine/stage.ts';
import { parameterSpecs, validateGPTConfig, type GPTConfig } from '../model/config.ts';
import type { HostParams, Weights } from '../model/gpt.ts';
import type { Checkpointer, LogRow, TrainingCheckpoint, TrainState } from '../model/train.ts';
import type { OptimiserState } from '../model/train-loop.ts';

interface TensorRecord {
  name: string;
  shape: number[];
  values: Float32Array;
}

const CONFIG_KEY = 'gpt.config';
const VOCABULARY_KEY = 'gpt.vocabulary';
const STATE_KEY = 'train.state';

function listVector(type: Int32 | Float32, arrays: ArrayLike<number>[]): Vector<List<Int32 | Float32>> {
  const offsets = new Int32Array(arrays.length + 1);
  arrays.forEach((a, i) => (offsets[i + 1] = offsets[i] + a.length));
  const flat =
    type instanceof Int32 ? new Int32Array(offsets[arrays.length]) : new Float32Array(offsets[arrays.length]);
  arrays.forEach((a, i) => flat.set(a, offsets[i]));
  const child = makeData({ type, length: flat.length, nullCount: 0, data: flat } as Parameters<typeof makeData>[0]);
  const listType = new List<Int32 | Float32>(new Field('item', type, false));
  return makeVector(
    makeData({
      type: listType,
      length: arrays.length,
      nullCount: 0,
      valueOffsets: offsets,
      child: child as Data<Int32 | Float32>,
    }),
  );
}

function tensorsToTable(records: TensorRecord[], metadata: Map<string, string>): Table {
  const name = vectorFromArray(
    records.map((r) => r.name),
    new Utf8(),
  );
  const shape = listVector(
    new Int32(),
    records.map((r) => r.shape),
  );
  const values = listVector(
    new Float32(),
    records.map((r) => r.values),
  );
  const schema = new Schema(
    [
      new Field('name', new Utf8(), false),
      new Field('shape', shape.type, false),
      new Field('values', values.type, false),
    ],
    metadata,
  );
  return new Table(schema, { name, shape, values });
}

function tensorsFromTable(table: Table): TensorRecord[] {
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

/** The model's weights as a table; the config and the task's vocabulary (a symbol an id) go in the metadata. */
export function weightsToTable({ config, params }: Weights, vocabulary: readonly string[]): Table {
  const records = parameterSpecs(config).map(({ name, shape }) => {
    const values = params.get(name);
    if (!values) throw new Error(`weightsToTable: missing parameter ${name}`);
    return { name, shape, values };
  });
  return tensorsToTable(
    records,
    new Map([
      [CONFIG_KEY, JSON.stringify(config)],
      [VOCABULARY_KEY, JSON.stringify(vocabulary)],
    ]),
  );
}

function configFromTable(table: Table): GPTConfig {
  const text = table.schema.metadata.get(CONFIG_KEY);
  if (!text) throw new Error(`not a GPT weights table: no ${CONFIG_KEY} in the schema metadata`);
  const config = JSON.parse(text) as GPTConfig;
  validateGPTConfig(config);
  return config;
}

/**
 * The inverse of weightsToTable: the config and every parameter, checked against the config's shapes and against
 * the vocabulary the reader decodes with.
 */
export function weightsFromTable(table: Table, vocabulary: readonly string[]): Weights {
  const config = configFromTable(table);
  const stored = table.schema.metadata.get(VOCABULARY_KEY);
  if (stored !== undefined && stored !== JSON.stringify(vocabulary)) {
    throw new Error(
      `weights were trained on vocabulary ${stored}, this task's tokenizer has ${JSON.stringify(vocabulary)}`,
    );
  }
  const byName = new Map(tensorsFromTable(table).map((r) => [r.name, r]));
  const params: HostParams = new Map();
  for (const { name, shape } of parameterSpecs(config)) {
    const record = byName.get(name);
    if (!record) throw new Error(`weights table lacks parameter ${name}`);
    if (record.shape.join() !== shape.join())
      throw new Error(`parameter ${name} has shape [${record.shape}], the config implies [${shape}]`);
    params.set(name, record.values);
  }
  return { config, params };
}

/** Checkpoint tensor groups: each tensor is stored as `${group}/${parameter name}`. */
const GROUPS = ['param', 'adam_m', 'adam_v', 'best'] as const;
type Group = (typeof GROUPS)[number];

function checkpointToTable({ config, state, tensors }: TrainingCheckpoint): Table {
  const records: TensorRecord[] = [];
  const groups: Record<Group, HostParams | undefined> = {
    param: tensors.params,
    adam_m: tensors.m,
    adam_v: tensors.v,
    best: tensors.best,
  };
  for (const group of GROUPS) {
    const values = groups[group];
    if (!values) continue;
    for (const { name, shape } of parameterSpecs(config))
      records.push({ name: `${group}/${name}`, shape, values: values.get(name)! });
  }
  return tensorsToTable(
    records,
    new Map([
      [CONFIG_KEY, JSON.stringify(config)],
      [STATE_KEY, JSON.stringify(state)],
    ]),
  );
}

function checkpointFromTable(table: Table): TrainingCheckpoint {
  const config = configFromTable(table);
  const text = table.schema.metadata.get(STATE_KEY);
  if (!text) throw new Error(`not a training checkpoint: no ${STATE_KEY} in the metadata`);
  const groups = new Map<string, HostParams>(GROUPS.map((g) => [g, new Map()]));
  for (const record of tensorsFromTable(table)) {
    const slash = record.name.indexOf('/');
    groups.get(record.name.slice(0, slash))?.set(record.name.slice(slash + 1), record.values);
  }
  const best = groups.get('best')!;
  const tensors: OptimiserState = {
    params: groups.get('param')!,
    m: groups.get('adam_m')!,
    v: groups.get('adam_v')!,
    best: best.size > 0 ? best : undefined,
  };
  return { config, state: JSON.parse(text) as TrainState, tensors };
}

/** Training checkpoints kept as tables in `tables` (the stage context's checkpoint store). */
export function tableCheckpointer(tables: StageContext['checkpoint']): Checkpointer {
  return {
    load: async () => {
      const table = await tables.load();
      return table && checkpointFromTable(table);
    },
    save: (checkpoint) => tables.save(checkpointToTable(checkpoint)),
  };
}

/** The training log: step (int32), train_loss, val_loss (null between evaluations) and lr (float64). */
export function logTable(rows: readonly LogRow[]): Table {
  return new Table({
    step: vectorFromArray(Int32Array.from(rows, (r) => r.step)),
    train_loss: vectorFromArray(Float64Array.from(rows, (r) => r.trainLoss)),
    val_loss: vectorFromArray(
      rows.map((r) => r.valLoss),
      new Float64(),
    ),
    lr: vectorFromArray(Float64Array.from(rows, (r) => r.lr)),
  });
}
