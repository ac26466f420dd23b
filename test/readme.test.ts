/**
 * What a newcomer reads first must work: every `npx tsx pipeline.ts …` command the README shows is a command whose
 * `--help` lists each flag it uses, and every relative link of the README and docs/ names a file that exists.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';

const root = path.resolve(import.meta.dirname, '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

function help(words: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), path.join(root, 'pipeline.ts'), ...words, '--help'],
      { cwd: root },
      (error, out) => resolve({ code: error ? Number(error.code ?? 1) : 0, out }),
    );
  });
}

// The commands that have subcommands (metrics show, exp show, params diff).
const SUBCOMMANDS = new Set(['metrics', 'exp', 'params']);

/** The README's commands: the command (and subcommand) words, and the flags used. */
function readmeCommands(): Array<{ line: string; words: string[]; flags: string[] }> {
  const lines = [...readme.matchAll(/^npx tsx pipeline\.ts (.*?)(\s+#.*)?$/gm)].map((m) => m[1]!.trim());
  return lines.map((line) => {
    const tokens = line.split(/\s+/);
    const words = tokens.slice(0, SUBCOMMANDS.has(tokens[0]!) ? 2 : 1);
    return { line, words, flags: tokens.filter((t) => t.startsWith('--')) };
  });
}

test('every command the README shows exists and takes the flags it is shown with', async (t) => {
  const commands = readmeCommands();
  t.true(commands.length >= 6, commands.map((c) => c.line).join('\n'));
  for (const { line, words, flags } of commands) {
    const { code, out } = await help(words);
    t.is(code, 0, `${line}: --help of '${words.join(' ')}' failed`);
    t.regex(out, new RegExp(`pipeline\\.ts ${words.join(' ')}\\b`), line);
    for (const flag of flags)
      t.true(out.includes(flag.split('=')[0]!), `${line}: ${flag} is not in the help of '${words.join(' ')}'`);
  }
});

test('every relative link in the README and docs/ names a file that exists', (t) => {
  const files = [
    'README.md',
    ...readdirSync(path.join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  let links = 0;
  for (const file of files) {
    const text = readFileSync(path.join(root, file), 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!) || target!.startsWith('#')) continue;
      links++;
      const resolved = path.resolve(path.dirname(path.join(root, file)), target!.split('#')[0]!);
      t.true(existsSync(resolved), `${file}: ${target} does not exist`);
    }
  }
  t.true(links >= 8, `${links} links checked`);
});
