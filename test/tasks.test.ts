/**
 * The task seam: logic's contract (real rows, tokenizer, judge), how a node's params name its task (logic's slices
 * as they were before tasks), and a third task, a fixture, run end to end through the graph and every stage.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Table } from 'apache-arrow';
import { localClosure } from '../engine/plan/fingerprint.ts';
import { buildPlan } from '../engine/plan/graph.ts';
import { loadStage } from '../engine/run/task.ts';
import { experimentGraph } from '../experiment/graph.ts';
import { parseParams } from '../experiment/params.ts';
import { expressionsOf } from '../stages/dataset.ts';
import trainStage from '../stages/train.ts';
import logic, { loadLogic, logicTokenizer } from '../tasks/logic/index.ts';
import { registerTask, rowsTaskSlice, taskOf, taskSlice } from '../tasks/registry.ts';
import { MICRO } from './fixtures/micro.ts';
import { stageContext } from './fixtures/stage-context.ts';
import { abTask } from './fixtures/tasks/ab.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const shipped = readFileSync(new URL('../params.yaml', import.meta.url), 'utf8');
registerTask(abTask);
registerTask({ ...abTask, name: 'ab-unjudged', judge: undefined });

test('logic: D_0 and fresh rows are deterministic for a seed, distinct, True, and fresh rows avoid what they are told', (t) => {
  const task = loadLogic({ depth_min: 1, depth_max: 4 });
  const d0 = task.realRows({ n: 300, seed: 5 });
  t.deepEqual(task.realRows({ n: 300, seed: 5 }), d0);
  t.notDeepEqual(task.realRows({ n: 300, seed: 6 }), d0);
  t.is(new Set(d0).size, 300);
  t.true(d0.every((line) => logic.judge!(line).semantic));
  const exclude = new Set(d0);
  const fresh = task.realRows({ n: 300, seed: 5, exclude });
  t.deepEqual(task.realRows({ n: 300, seed: 5, exclude }), fresh);
  t.false(fresh.some((line) => exclude.has(line)));
  t.throws(() => loadLogic().realRows({ n: 1, seed: 1 }), { message: /carry no depth range/ });
});

test('logic: the tokenizer keeps the 7 token ids and the end token 7; round trip; the judge on hand-made lines', (t) => {
  t.deepEqual(logicTokenizer.vocabulary, ['True', 'False', 'and', 'or', 'not', '(', ')', '<eos>']);
  t.is(logicTokenizer.eos, 7);
  const text = '( not True and False ) or ( True )';
  const ids = logicTokenizer.encode(text);
  t.deepEqual(ids, [5, 4, 0, 2, 1, 6, 3, 5, 0, 6]);
  t.is(logicTokenizer.decode(ids), text);
  t.is(logicTokenizer.decode([...ids, 7, 0, 1]), text, 'the end token ends decoding');
  t.throws(() => logicTokenizer.encode('True xor False'), { message: /unknown word 'xor'/ });
  t.throws(() => logicTokenizer.decode([9]), { message: /token id 9 is outside the vocabulary of 8/ });
  t.like(logic.judge!('not ( True and False )'), { syntactic: true, semantic: true });
  t.like(logic.judge!('False or False'), { syntactic: true, semantic: false });
  t.like(logic.judge!('True and'), { syntactic: false, semantic: false });
  t.like(logic.judge!('banana'), { syntactic: false, semantic: false });
});

test("logic's nodes carry no task, and gen-d0 and build-dataset its depth range at the top level, as before tasks", (t) => {
  const section = { name: 'logic', depth_min: 2, depth_max: 4 };
  t.deepEqual(taskSlice(section), {});
  t.deepEqual(rowsTaskSlice(section), { depth_min: 2, depth_max: 4 });
  const graph = experimentGraph(parseParams(shipped, 'params.yaml', ['generations=2', 'sweep.cycle.name=[expanding]']));
  const keys = (stage: string) => Object.keys(graph.find((node) => node.stage.name === stage)!.params as object).sort();
  t.deepEqual(keys('gen-d0'), ['depth_max', 'depth_min', 'n']);
  t.deepEqual(keys('train'), ['model', 'train']);
  t.deepEqual(keys('sample'), ['batch_size', 'generation', 'n', 'temperature', 'top_k']);
  t.deepEqual(keys('eval'), ['data_diversity_pairs', 'diversity_pairs', 'generation']);
  t.deepEqual(keys('build-dataset'), ['cycle', 'depth_max', 'depth_min', 'generation', 'lambda', 'n']);
  t.deepEqual(taskSlice({ name: 'ab', length: 3 }), { task: { name: 'ab', options: { length: 3 } } });
});

test('params refuse the judged curation modes for a task without a judge, and more rows than a task has', (t) => {
  const unjudged = shipped.replace(
    /task:[^\n]*\n  name: logic\n  depth_min: 1\n  depth_max: 5\n/,
    'task:\n  name: ab-unjudged\n  length: 8\n',
  );
  const refused = t.throws(() => parseParams(unjudged, 'p.yaml', ['curation.mode=verified']));
  t.regex(
    refused!.message,
    /curation\.mode = verified asks the task's judge, and task 'ab-unjudged' has none; expected one of none, unique, capped/,
  );
  t.notThrows(() =>
    parseParams(unjudged, 'p.yaml', [
      'curation.mode=capped',
      'data.n=100',
      'eval.heldout_rows=156',
      'sweep.cycle.name=[balanced]',
    ]),
  );
  const few = t.throws(() =>
    parseParams(unjudged, 'p.yaml', ['data.n=300', 'eval.perplexity=false', 'sweep.cycle.name=[balanced]']),
  );
  t.regex(
    few!.message,
    /data\.n = 300 needs 300 distinct words, but only 256 exist of length 8; lower data\.n or raise task\.length/,
  );
});

test.serial(
  'a third task runs end to end: two generations of the expanding cycle with verified curation',
  async (t) => {
    const params = parseParams(
      shipped.replace(
        /task:[^\n]*\n  name: logic\n  depth_min: 1\n  depth_max: 5\n/,
        'task:\n  name: ab\n  length: 8\n',
      ),
      'p.yaml',
      [...MICRO, 'generations=2', 'curation.mode=verified', 'sweep.cycle.name=[expanding]', 'sweep.cycle.lambda=[0.5]'],
    );
    const plan = buildPlan(experimentGraph(params));
    t.deepEqual(
      plan.nodes.map((node) => node.stage.name),
      ['gen-d0', 'gen-heldout', 'train', 'sample', 'eval', 'curate', 'build-dataset', 'train', 'sample', 'eval'],
    );
    const outputs = new Map<string, Record<string, Table>>();
    for (const node of plan.nodes) {
      t.deepEqual((node.params as { task?: unknown }).task, { name: 'ab', options: { length: 8 } }, node.ids[0]);
      const inputs = Object.fromEntries(
        Object.entries(node.inputs).map(([name, { sid, output }]) => [name, outputs.get(sid)![output]]),
      );
      // The worker's way to the code: the implementation the declaration names.
      const stage = await loadStage(node.stage.module);
      outputs.set(
        node.sid,
        await stage.run(stageContext(node.params, inputs, { seed: node.seed, runtime: node.runtime })),
      );
    }
    const of = (stage: string, generation: number) =>
      outputs.get(plan.nodes.filter((node) => node.stage.name === stage)[generation].sid)!;
    const d0 = expressionsOf(of('gen-d0', 0).dataset);
    t.is(new Set(d0).size, 64);
    t.true(d0.every((line) => /^[ab]( [ab]){7}$/.test(line)));
    t.is(of('train', 0).weights.schema.metadata.get('gpt.vocabulary'), '["a","b","<eos>"]');
    t.is(JSON.parse(of('train', 0).weights.schema.metadata.get('gpt.config')!).vocabSize, 3);
    const samples = expressionsOf(of('sample', 0).samples);
    t.is(samples.length, 64);
    t.true(
      expressionsOf(of('curate', 0).samples).every((line) => abTask.judge!(line).semantic),
      'verified keeps what the judge accepts',
    );
    const d1 = of('build-dataset', 0).dataset;
    const fresh = expressionsOf(d1).slice(64 + 32);
    t.is(fresh.length, 32);
    t.false(
      fresh.some((line) => d0.includes(line)),
      'fresh rows are new real rows',
    );
    const metrics = of('eval', 1).metrics;
    t.deepEqual(
      metrics.schema.fields.map((field) => field.name),
      [
        'generation',
        'samples.count',
        'samples.diversity',
        'samples.unique',
        'samples.mean_length',
        'samples.copied',
        'samples.starts_with_a',
        'data.count',
        'data.diversity',
        'data.unique',
        'data.mean_length',
        'data.starts_with_a',
        'heldout.perplexity',
        'heldout.rows',
        'samples.perplexity_m0',
      ],
    );
    t.is(metrics.getChild('data.count')!.get(0), 128);
    const loaded = await taskOf(plan.nodes[0].params as never);
    t.is(metrics.getChild('data.starts_with_a')!.get(0), loaded.summarize(expressionsOf(d1)).starts_with_a);
  },
);

test("a stage's code fingerprint starts at its implementation and covers its declaration and everything either imports", (t) => {
  const closure = [...localClosure(fileURLToPath(trainStage.module)).keys()].map((file) => relative(ROOT, file));
  for (const file of [
    'stages/run/train.ts',
    'stages/train.ts',
    'model/train.ts',
    'stages/weights-table.ts',
    'tasks/registry.ts',
    'tasks/logic/index.ts',
    'logic/generator.ts',
  ]) {
    t.true(closure.includes(file), file);
  }
});
