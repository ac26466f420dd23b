import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarizeLines } from '../metrics/summary.ts';
import { logicTokenizer } from '../tasks/logic/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function pipeline(args: string[], stdin?: string | Buffer): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', 'pipeline.ts', ...args],
      { cwd: ROOT },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(stdin ?? '');
  });
}

const dir = mkdtempSync(join(tmpdir(), 'cli-language-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const DEEPER = ['--task', '{name: logic, depth_min: 2, depth_max: 4}'];

test("gen prints the task's real examples, deterministic per seed", async (t) => {
  const first = await pipeline(['gen', '--n', '200', '--seed', '4', ...DEEPER]);
  t.is(first.code, 0, first.stderr);
  const lines = first.stdout.trimEnd().split('\n');
  t.is(lines.length, 200);
  t.is(new Set(lines).size, 200);
  t.deepEqual((await pipeline(['gen', '--n', '200', '--seed', '4', ...DEEPER])).stdout, first.stdout);

  const file = join(dir, 'gen.txt');
  writeFileSync(file, first.stdout);
  const scored = await pipeline(['score', file, '--json']);
  t.is(scored.code, 0, scored.stderr);
  const summary = JSON.parse(scored.stdout);
  t.like(summary, { count: 200, syntactic: 1, semantic: 1, unique: 200 });
  t.true(summary.mean_depth >= 2 && summary.mean_depth <= 4);
  // The library's exact all-pairs value over the same lines (its arithmetic is checked by hand in metrics-summary).
  t.is(summary.diversity, summarizeLines(lines, logicTokenizer).diversity);
  t.true(summary.mean_length > 1);
});

test('score --lines gives per-line verdicts with error positions; stdin with -', async (t) => {
  const input = 'True and not False\n\nTrue and\nhello world\nnot ( )\n';
  const result = await pipeline(['score', '-', '--lines', '--json'], input);
  t.is(result.code, 0, result.stderr);
  const out = result.stdout
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line));
  t.is(out.length, 5);
  t.like(out[0], { line: 1, syntactic: true, semantic: true, depth: 3, tokens: 4 });
  t.like(out[1], { line: 3, syntactic: false, error: { kind: 'unexpected-token', position: 8, tokenIndex: 2 } });
  t.like(out[2], { line: 4, syntactic: false, tokens: 2, error: { position: 0, reason: "unknown word 'hello' at 0" } });
  t.like(out[3], { line: 5, syntactic: false, error: { kind: 'empty-parens', position: 4 } });
  // Sequences [0 2 4 1], [0 2], [8 9] (unknown words), [4 5 6]; distance / longer length: [0 2 4 1]-[0 2] 2/4;
  // [0 2 4 1]-[4 5 6] 4/4 (matching the 4s costs two deletions); the other four pairs share nothing, 1.
  // (1/2 + 5) / 6 pairs = 11/12.
  t.like(out[4], { count: 4, syntactic: 0.25, semantic: 0.25, unique: 4, mean_depth: 3, diversity: 11 / 12 });
});

test('score prints a table with the names and units of metrics show, and takes its flags', async (t) => {
  const result = await pipeline(['score', '-'], 'True\nFalse\nTrue\n');
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /^count\s+3$/m);
  t.regex(result.stdout, /^syntactic\s+1$/m);
  t.regex(result.stdout, /^semantic\s+0\.6667$/m);
  t.regex(result.stdout, /^diversity\s+0\.6667$/m);
  t.regex(result.stdout, /^unique\s+2$/m);
  t.notRegex(result.stdout, /mean_depth/, 'the headline metrics unless --all');
  t.regex((await pipeline(['score', '-', '--all'], 'True\n')).stdout, /^mean_depth\s+1$/m);
  t.is(
    (await pipeline(['score', '-', '--metric', 'semantic', '--csv'], 'True\nFalse\n')).stdout,
    'count,semantic,unreadable\n2,0.5,0\n',
  );
  t.regex((await pipeline(['score', '-', '--md'], 'True\n')).stdout, /^\| semantic \| 1 \|$/m);
});

test('errors: a missing file and a bad --task are named', async (t) => {
  const missing = await pipeline(['score', join(dir, 'nope.txt')]);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /no such file: .*nope\.txt/);
  const cases: [string, RegExp][] = [
    ['nope', /unknown task "nope"; the registered tasks are: logic/],
    ['{name: logic, depth_min: 0}', /task\.depth_min: Too small/],
    ['{name: logic, depth_min: 5, depth_max: 2}', /task\.depth_min: 5 must not exceed task\.depth_max \(2\)/],
    ['{name: logic, depth: 3}', /task: unknown key "depth" for task 'logic'/],
    ['[1, 2]', /--task must be a task's name or a YAML mapping/],
  ];
  for (const [task, error] of cases) {
    const bad = await pipeline(['gen', '--task', task]);
    t.is(bad.code, 1, task);
    t.regex(bad.stderr, error, task);
  }
});

test('every language command has --help', async (t) => {
  for (const command of ['gen', 'score']) {
    const help = await pipeline([command, '--help']);
    t.is(help.code, 0);
    t.regex(help.stdout, new RegExp(`pipeline.ts ${command}`));
  }
});

test('score says when its input is not text, counts the lines it could not read, and bounds a huge line', async (t) => {
  // 1 MB of binary: a seeded byte stream (xorshift), so the counts below stay the same from run to run.
  const binary = Buffer.alloc(1 << 20);
  let x = 0x9e3779b9;
  for (let i = 0; i < binary.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    binary[i] = x & 0xff;
  }
  const binaryFile = join(dir, 'binary.dat');
  writeFileSync(binaryFile, binary);
  const scored = await pipeline(['score', binaryFile, '--json']);
  const unreadable = JSON.parse(scored.stdout).unreadable as number;
  t.true(unreadable > 3000, `${unreadable} unreadable lines`);
  t.regex(
    scored.stderr,
    new RegExp(
      `^warning: .*binary\\.dat is not text: ${unreadable} of \\d+ lines could not be read \\(\\d+ with NUL bytes, \\d+ not valid UTF-8\\)`,
      'm',
    ),
  );

  // Text with a NUL line, an invalid UTF-8 line and a line far over the limit: those three are counted, the rest scored.
  const mixed = Buffer.concat([
    Buffer.from('True and False\nnot False\n'),
    Buffer.from('True\0\n'),
    Buffer.from([0xff, 0xfe, 0x0a]),
    Buffer.from(`${'True or '.repeat(50_000)}True\n`),
    Buffer.from('False\r\n'),
  ]);
  const result = await pipeline(['score', '-', '--lines', '--json'], mixed);
  t.is(result.code, 0, result.stderr);
  t.regex(
    result.stderr,
    /^warning: stdin is not all text: 3 of 6 lines could not be read \(1 with NUL bytes, 1 not valid UTF-8, 1 longer than 65536 bytes\); the other 3 non-blank lines are scored$/m,
  );
  const out = result.stdout
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line));
  t.deepEqual(out.slice(2, 5), [
    { line: 3, unreadable: 'with NUL bytes' },
    { line: 4, unreadable: 'not valid UTF-8' },
    { line: 5, unreadable: 'longer than 65536 bytes' },
  ]);
  t.like(out[5], { line: 6, text: 'False', syntactic: true });
  t.like(out[6], { count: 3, unreadable: 3 });

  const nothing = await pipeline(['score', '-'], '\0\0\n');
  t.is(nothing.code, 1);
  t.regex(
    nothing.stderr,
    /^error: stdin is not text: 1 of 1 lines could not be read \(1 with NUL bytes\); nothing is left to score$/m,
  );
});
