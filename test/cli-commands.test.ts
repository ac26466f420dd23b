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

function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(root, 'pipeline.ts'), ...args], { cwd: dir, env: { ...process.env, PIPELINE_STORE: path.join(dir, 'store') } },
      (error, out, err) => resolve({ code: error ? Number(error.code ?? 1) : 0, out, err }));
  });
}

/** command words, an option its help must list, the arguments of an error and the message expected. */
const COMMANDS: [string[], string, string[], RegExp][] = [
  [['repro'], '--jobs', ['repro', '--jobs', 'abc'], /--jobs wants a positive integer, got 'abc'/],
  [['status'], '--json', ['status', '-p', 'missing.yaml'], /missing\.yaml/],
  [['dag'], '--mermaid', ['dag', '-p', 'missing.yaml'], /missing\.yaml/],
  [['gc'], '--force', ['gc', '--forse'], /Unknown argument: forse/],
  [['show'], '--rows', ['show', 'ffff'], /no store at .*: give --store DIR or set PIPELINE_STORE/],
  [['metrics', 'show'], '--csv', ['metrics', 'show', '--lock', 'none.lock'], /no pipeline\.lock at .*none\.lock: run `npx tsx pipeline\.ts repro` first/],
  [['metrics', 'diff'], '--metric', ['metrics', 'diff', 'a.lock', 'b.lock'], /no pipeline\.lock at .*a\.lock/],
  [['params', 'diff'], '--all', ['params', 'diff', 'a.yaml', 'b.yaml'], /no params\.yaml at .*a\.yaml/],
  [['report'], '--chain', ['report', '--lock', 'none.lock'], /no pipeline\.lock at .*none\.lock/],
  [['gen'], '--true-only', ['gen', '--depth', '0-9'], /--depth must be "MIN-MAX" or "D" with 1 <= MIN <= MAX <= \d+, got "0-9"/],
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
  for (const command of ['repro', 'status', 'dag', 'gc', 'show', 'metrics', 'params', 'report', 'gen', 'score', 'doctor']) t.regex(help.out, new RegExp(`pipeline\\.ts ${command}\\b`));
});
