/**
 * Every command of the real `pipeline.ts`, as a user runs it: its `--help` and one error path. The CLI loads each
 * command's modules only when it runs, so these check that the lazy imports still reach what each command needs.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'ava';

const root = path.resolve(import.meta.dirname, '..');
const dir = mkdtempSync(path.join(tmpdir(), 'cli-commands-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

function runWith(preloads: string[], ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const imports = [import.meta.resolve('tsx'), ...preloads].flatMap((p) => ['--import', p]);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...imports, path.join(root, 'pipeline.ts'), ...args],
      { cwd: dir, env: { ...process.env, PIPELINE_STORE: path.join(dir, 'store') } },
      (error, out, err) => resolve({ code: error ? Number(error.code ?? 1) : 0, out, err }),
    );
  });
}
const run = (...args: string[]) => runWith([], ...args);

/** command words, an option its help must list, the arguments of an error and the message expected. */
const COMMANDS: [string[], string, string[], RegExp][] = [
  [['repro'], '--jobs', ['repro', '--jobs', 'abc'], /--jobs wants a positive integer, got 'abc'/],
  [['status'], '--json', ['status', '-p', 'missing.yaml'], /missing\.yaml/],
  [['dag'], '--mermaid', ['dag', '-p', 'missing.yaml'], /missing\.yaml/],
  [['gc'], '--force', ['gc', '--forse'], /Unknown argument: forse/],
  [['show'], '--rows', ['show', 'ffff'], /no store at .*: give --store DIR or set PIPELINE_STORE/],
  [
    ['metrics', 'show'],
    '--csv',
    ['metrics', 'show', '--lock', 'none.lock'],
    /no pipeline\.lock at .*none\.lock: run `npx tsx pipeline\.ts repro` first/,
  ],
  [
    ['metrics', 'change'],
    '--metric',
    ['metrics', 'change', '--lock', 'none.lock'],
    /no pipeline\.lock at .*none\.lock/,
  ],
  [['metrics', 'diff'], '--metric', ['metrics', 'diff', 'a.lock', 'b.lock'], /no pipeline\.lock at .*a\.lock/],
  [['params', 'diff'], '--unchanged', ['params', 'diff', 'a.lock', 'b.lock'], /no pipeline\.lock at .*a\.lock/],
  [['exp', 'show'], '--chains', ['exp', 'show', 'runs/*.lock'], /^error: no file matches runs\/\*\.lock\n$/],
  [['export'], '--format', ['export', 'ffff', '--store', '/nonexistent-store'], /no store at \/nonexistent-store/],
  [['report'], '--chain', ['report', '--lock', 'none.lock'], /no pipeline\.lock at .*none\.lock/],
  [['gen'], '--task', ['gen', '--task', 'nope'], /unknown task "nope"; the registered tasks are: logic/],
  [['score'], '--lines', ['score', 'nowhere.txt'], /no such file: nowhere\.txt/],
  [['doctor'], '--backend', ['doctor', '--backend', 'nope'], /Invalid values:[\s\S]*nope/],
];

for (const [words, option, bad, message] of COMMANDS) {
  test(`${words.join(' ')}: --help lists ${option}; an error says what is wrong`, async (t) => {
    const [help, error] = await Promise.all([run(...words, '--help'), run(...bad)]);
    t.is(help.code, 0, help.err);
    t.true(help.out.includes(option), help.out);
    t.is(error.code, 1, error.out);
    t.regex(error.err, message);
  });
}

test('--version and the top-level --help', async (t) => {
  const [version, help] = await Promise.all([run('--version'), run('--help')]);
  t.regex(version.out, /^\d+\.\d+\.\d+\n$/);
  for (const command of [
    'repro',
    'status',
    'dag',
    'gc',
    'show',
    'export',
    'exp',
    'metrics',
    'params',
    'report',
    'gen',
    'score',
    'doctor',
  ])
    t.regex(help.out, new RegExp(`pipeline\\.ts ${command}\\b`));
});

// Start-up time is what these packages cost (issue 12: --version went from 2.5 s to 0.4 s by not loading them).
test('--version, --help, gen and status load neither TensorFlow.js nor resvg; doctor loads TensorFlow.js', async (t) => {
  const preload = import.meta.resolve('./fixtures/loaded-packages.ts');
  const loaded = async (...args: string[]): Promise<string> => {
    const { code, err } = await runWith([preload], ...args);
    t.is(code, 0, err);
    return /\nloaded: (.*)\n/.exec(err)?.[1] ?? 'no report';
  };
  for (const args of [
    ['--version'],
    ['--help'],
    ['gen', '--n', '3', '--seed', '1'],
    ['status', '-p', path.join(root, 'params.yaml')],
  ])
    t.is(await loaded(...args), '', args.join(' '));
  t.regex(await loaded('doctor'), /@tensorflow/);
});
