/**
 * The text and corpus tasks through the graph and every stage (a micro sweep: a tiny GPT, two generations of the
 * expanding cycle, so D_1 takes fresh real rows), and the corpus files params refuse, through the real CLI.
 */
import test from 'ava';
import type { Table } from 'apache-arrow';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildPlan } from '../engine/plan/graph.ts';
import { loadStage } from '../engine/run/task.ts';
import { experimentGraph } from '../experiment/graph.ts';
import { loadParams, parseParams } from '../experiment/params.ts';
import { expressionsOf } from '../stages/dataset.ts';
import { MICRO, MICRO_N } from './fixtures/micro.ts';
import { stageContext } from './fixtures/stage-context.ts';

const root = path.resolve(import.meta.dirname, '..');
const dir = mkdtempSync(path.join(tmpdir(), 'tasks-text-sweep-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Buffer): string => {
  const at = path.join(dir, name);
  writeFileSync(at, content);
  return at;
};
// Distinct lines of a researcher's file: enough for n = 64, the 32 fresh rows of one expanding generation and 32 held out.
const corpusFile = file('lines.txt', Array.from({ length: 200 }, (_, i) => `row ${i} of the file`).join('\n'));

/** The shipped params.yaml with its task section replaced by `task` (one line of YAML flow). */
const paramsWith = (task: string): string =>
  readFileSync(path.join(root, 'params.yaml'), 'utf8').replace(/\ntask:[^\n]*\n(  [^\n]*\n)+/, `\ntask: ${task}\n`);
const microGraph = (task: string) =>
  experimentGraph(
    parseParams(paramsWith(task), 'p.yaml', [
      ...MICRO,
      'generations=2',
      'sweep.cycle.name=[expanding]',
      'sweep.cycle.lambda=[0.5]',
    ]),
  );

/** Runs every node of the graph in order, in this process; each node's outputs by stage name and generation. */
async function runAll(graph: ReturnType<typeof microGraph>) {
  const plan = buildPlan(graph);
  const outputs = new Map<string, Record<string, Table>>();
  for (const node of plan.nodes) {
    const inputs = Object.fromEntries(
      Object.entries(node.inputs).map(([name, { sid, output }]) => [name, outputs.get(sid)![output]]),
    );
    const stage = await loadStage(node.stage.module); // the implementation the declaration names, as a worker loads it
    outputs.set(
      node.sid,
      await stage.run(stageContext(node.params, inputs, { seed: node.seed, runtime: node.runtime })),
    );
  }
  return {
    plan,
    of: (stage: string, k: number) => outputs.get(plan.nodes.filter((node) => node.stage.name === stage)[k].sid)!,
  };
}

for (const [name, task] of [
  ['text', '{name: text}'],
  ['corpus', `{name: corpus, path: '${corpusFile}'}`],
]) {
  test.serial(`${name}: a micro sweep runs end to end, with fresh real rows and the text metrics`, async (t) => {
    const { plan, of } = await runAll(microGraph(task));
    t.deepEqual(
      plan.nodes.map((node) => node.stage.name),
      ['gen-d0', 'gen-heldout', 'train', 'sample', 'eval', 'build-dataset', 'train', 'sample', 'eval'],
    );
    const d0 = expressionsOf(of('gen-d0', 0).dataset);
    t.is(new Set(d0).size, MICRO_N);
    const d1 = expressionsOf(of('build-dataset', 0).dataset);
    const fresh = d1.slice(MICRO_N + MICRO_N / 2);
    t.is(fresh.length, MICRO_N / 2);
    t.false(
      fresh.some((line) => d0.includes(line)),
      'fresh rows are real rows not in D_0',
    );
    const vocabulary = JSON.parse(of('train', 0).weights.schema.metadata.get('gpt.vocabulary')!) as string[];
    t.is(vocabulary.at(-1), '<eos>');
    t.true(vocabulary.includes('<unk>'));
    const metrics = of('eval', 1).metrics;
    const columns = metrics.schema.fields.map((field) => field.name);
    for (const metric of ['validity', 'distinct_1', 'distinct_2', 'distinct_3']) {
      t.true(columns.includes(`samples.${metric}`) && columns.includes(`data.${metric}`), metric);
    }
    t.is(of('eval', 0).metrics.getChild('data.validity')!.get(0), 1, "every row of D_0 is made of the corpus's words");
    t.is(expressionsOf(of('sample', 1).samples).length, MICRO_N);
  });
}

test('corpus: the file content hash is in the nodes, so editing the file changes every key', (t) => {
  const editable = file('editable.txt', Array.from({ length: 200 }, (_, i) => `line ${i}`).join('\n'));
  const task = `{name: corpus, path: '${editable}'}`;
  const ids = () => buildPlan(microGraph(task)).nodes.map((node) => node.sid);
  const before = ids();
  t.deepEqual(ids(), before);
  file('editable.txt', Array.from({ length: 200 }, (_, i) => `line ${i}!`).join('\n'));
  const after = ids();
  t.true(before.every((sid) => !after.includes(sid)));
});

test("params refuse a block that cannot hold the corpus's longest line and the end token", (t) => {
  const long = file('long.txt', Array.from({ length: 100 }, (_, i) => `line ${i} ${'x'.repeat(i)}`).join('\n'));
  const params = (blockSize: number) =>
    parseParams(paramsWith(`{name: corpus, path: '${long}', max_length: 200}`), 'p.yaml', [
      'data.n=50',
      'eval.heldout_rows=50',
      `model.block_size=${blockSize}`,
      'sweep.cycle.name=[balanced]',
    ]);
  // The longest line is 'line 99 ' and 99 x's: 107 characters.
  t.throws(() => params(107), {
    message:
      /model\.block_size = 107 cannot hold the longest real example of task 'corpus' \(107 tokens\) and the end token; raise model\.block_size to 108/,
  });
  t.notThrows(() => params(108));
});

function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), path.join(root, 'pipeline.ts'), ...args],
      { cwd: dir, env: { ...process.env, PIPELINE_STORE: path.join(dir, 'store') } },
      (error, out, err) => resolve({ code: error ? Number(error.code ?? 1) : 0, out, err }),
    );
  });
}

const refused: [string, string, RegExp][] = [
  ['no such file', 'missing.txt', /^error: task\.path: no such file 'missing\.txt'\n$/],
  [
    'not UTF-8',
    file('latin1.txt', Buffer.from('caf\xe9 au lait\nok\n', 'latin1')) && 'latin1.txt',
    /^error: task\.path: 'latin1\.txt' is not UTF-8: line 1 has a byte sequence that is not valid UTF-8\n$/,
  ],
  [
    'no usable line',
    file('blank.txt', '\n  \n\t\n') && 'blank.txt',
    /^error: task\.path: 'blank\.txt' has no usable line: every line is empty or longer than task\.max_length \(63\) characters\n$/,
  ],
  // n = 64, 5 expanding generations of 32 fresh rows and 1,000 held-out rows: 64 + 4·32 + 1,000 = 1,192 needed, 100 in the file.
  [
    'too few lines for the sweep',
    file('short.txt', Array.from({ length: 100 }, (_, i) => `l${i}`).join('\n')) && 'short.txt',
    /data\.n = 64 needs 1,192 distinct lines \(n, then 32 fresh ones in each of 4 generations of the expanding cycle, and 1,000 held-out ones for the perplexity, eval\.heldout_rows\), but only 100 exist in task\.path 'short\.txt'/,
  ],
];
for (const [what, at, message] of refused) {
  test(`repro refuses a corpus file before anything runs: ${what}`, async (t) => {
    const result = await cli(
      'repro',
      '--dry',
      '-p',
      path.join(root, 'params.yaml'),
      '--set',
      `task={name: corpus, path: ${at}}`,
      '--set',
      'data.n=64',
      '--set',
      'generations=5',
    );
    t.is(result.code, 1);
    t.regex(result.err, message);
    t.notRegex(result.err, /\n\s+at /, 'no stack trace');
  });
}

test('presets/text.yaml validates: the text task at character level, the four cycles, 6 generations', (t) => {
  const graph = experimentGraph(loadParams(path.join(root, 'presets/text.yaml')));
  t.is(buildPlan(graph).nodes.length, 85, 'with the held-out rows of the perplexity');
  const train = graph.find((node) => node.stage.name === 'train')!;
  t.deepEqual((train.params as { task?: unknown }).task, { name: 'text', options: { tokens: 'char', max_length: 63 } });
  t.deepEqual(
    [...new Set(graph.flatMap((node) => node.tags?.cycle ?? []))],
    ['full_synthetic', 'balanced', 'incremental', 'expanding'],
  );
});
