/**
 * `export`, `show` and `score` by node name, through the real CLI: a node's tables written as CSV, JSON lines and Parquet and
 * read back by another reader (polars) equal the Arrow table row for row; `show` prints whole rows; `score` reads
 * the expressions of an object.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Bool, Float64, Table, vectorFromArray } from 'apache-arrow';
import pl from 'nodejs-polars';
import { formatLockFile } from '../engine/store/lock-file.ts';
import { plain } from '../engine/store/show.ts';
import { Store } from '../engine/store/store.ts';
import { summarizeLines } from '../metrics/summary.ts';
import { loadLogic, logicTokenizer } from '../tasks/logic/index.ts';
import { expressionsOf, expressionTable } from '../stages/dataset.ts';

const ROOT = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'export-test-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const LONG = 'not ( ( True and ( False or not False ) ) or ( False and ( True or False ) ) )';
const samples = expressionTable([
  { expression: LONG, origin: 'synthetic', generation: 5 },
  { expression: 'True , "quoted"', origin: 'synthetic', generation: 5 },
  { expression: 'not ( True and ( False or False ) )', origin: 'real', generation: 0 },
]);
const log = new Table({
  step: vectorFromArray([10, 20, 30], new Float64()),
  val_loss: vectorFromArray([1.5, null, 0.25], new Float64()),
  improved: vectorFromArray([true, false, true], new Bool()),
});
const NODE = 'train/cycle=full_synthetic/seed=1/gen=5';
const store = new Store(join(dir, 'store'));
const ready = (async () => {
  const outputs = { samples: await store.putObject(samples), log: await store.putObject(log) };
  writeFileSync(
    join(dir, 'x.lock'),
    formatLockFile({ version: 2, nodes: { [NODE]: { stage: 'train', key: 'k', outputs, metrics: {}, tags: {} } } }),
  );
  return outputs;
})();

function pipeline(...args: string[]) {
  return spawnSync(
    process.execPath,
    [
      '--import',
      import.meta.resolve('tsx'),
      join(ROOT, 'pipeline.ts'),
      ...args,
      '--store',
      join(dir, 'store'),
      '--lock',
      join(dir, 'x.lock'),
    ],
    { cwd: dir, encoding: 'utf8' },
  );
}
const rowsOf = (table: Table) => table.toArray().map((r) => plain(r.toJSON()) as Record<string, unknown>);

for (const format of ['csv', 'parquet', 'jsonl'] as const) {
  test(`export ${format}: a node's outputs, one file each, read back equal the Arrow tables row for row`, async (t) => {
    await ready;
    const out = join(dir, format);
    const result = pipeline('export', NODE, '--format', format, '-o', out);
    t.is(result.status, 0, result.stderr);
    t.deepEqual(result.stdout.trim().split('\n').sort(), [join(out, `log.${format}`), join(out, `samples.${format}`)]);
    for (const [name, table] of [
      ['samples', samples],
      ['log', log],
    ] as const) {
      const file = join(out, `${name}.${format}`);
      const back =
        format === 'jsonl'
          ? readFileSync(file, 'utf8')
              .trim()
              .split('\n')
              .map((line) => JSON.parse(line))
          : (format === 'csv' ? pl.readCSV(file) : pl.readParquet(file)).toRecords();
      t.deepEqual(back, rowsOf(table), `${name}.${format}`);
    }
  });
}

test('show by node name prints every output with whole rows; an unknown node or format is a one-line error', async (t) => {
  await ready;
  const shown = pipeline('show', NODE);
  t.is(shown.status, 0, shown.stderr);
  t.regex(shown.stdout, /^output samples: \w{16} /m);
  t.regex(shown.stdout, /^output log: \w{16} /m);
  t.true(shown.stdout.includes(JSON.stringify(LONG)), 'the long expression is not cut');
  const missing = pipeline('show', 'train/cycle=balanced/seed=1/gen=5');
  t.is(missing.status, 1);
  t.is(
    missing.stderr.trim(),
    `error: no node 'train/cycle=balanced/seed=1/gen=5' in ${join(dir, 'x.lock')}; e.g. ${NODE}`,
  );
  const bad = pipeline('export', NODE, '--format', 'xlsx');
  t.is(bad.status, 1);
  t.regex(bad.stderr, /Invalid values:\n\s+Argument: format, Given: "xlsx", Choices: "csv", "jsonl", "parquet"/);
});

test('score takes a node id or an object hash: the metrics of its expression column', async (t) => {
  const { samples: hash, log: logHash } = await ready;
  const lines = expressionsOf(samples);
  const { diversityStderr, meanLength, ...summary } = summarizeLines(lines, logicTokenizer);
  // Under metrics show's short names (experiment/score.ts).
  const expected = {
    ...summary,
    diversity_stderr: diversityStderr,
    mean_length: meanLength,
    ...loadLogic().summarize(lines),
    unreadable: 0,
  };
  for (const target of [NODE, hash.slice(0, 8)]) {
    const scored = pipeline('score', target, '--json');
    t.is(scored.status, 0, scored.stderr);
    t.deepEqual(JSON.parse(scored.stdout), expected, target);
  }
  const noText = pipeline('score', logHash);
  t.is(noText.stderr.trim(), `error: ${logHash} holds no expression column (outputs: ${logHash})`);
});
