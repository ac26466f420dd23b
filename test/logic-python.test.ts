import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../common/rng.ts';
import { checkExpression } from '../logic/check.ts';
import { generateExpressions } from '../logic/generator.ts';
import { TOKENS } from '../logic/tokens.ts';

// One python3 process judges every line: True / False / SyntaxError, or what else Python made of it.
const JUDGE = `
import sys
for line in open(sys.argv[1], encoding='utf8'):
    line = line.rstrip('\\n')
    try:
        code = compile(line, '<e>', 'eval')
    except SyntaxError:
        print('SyntaxError')
        continue
    try:
        value = eval(code, {'__builtins__': {}})
    except Exception as e:
        print('Error:' + type(e).__name__)
        continue
    print(value if isinstance(value, bool) else 'Other:' + type(value).__name__)
`;

function pythonVerdicts(lines: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'logic-python-'));
  try {
    const file = join(dir, 'lines.txt');
    writeFileSync(file, lines.join('\n') + '\n');
    return execFileSync('python3', ['-W', 'ignore', '-c', JUDGE, file], { encoding: 'utf8' }).trimEnd().split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Lines Python accepts beyond our grammar: `( )` (empty tuple) and `(` right after a value (a call). */
function usesPythonExtension(line: string): boolean {
  const tokens = line.split(' ');
  return tokens.some((t, i) => t === '(' && (tokens[i + 1] === ')' || ['True', 'False', ')'].includes(tokens[i - 1])));
}

function corpus(): string[] {
  const rng = new Rng('python-agreement');
  const wellFormed = generateExpressions({ n: 2000, seed: 11, dMin: 1, dMax: 6 });
  const randomToken = (): string => TOKENS[rng.int(TOKENS.length)];
  const random = Array.from({ length: 2000 }, () => Array.from({ length: rng.range(1, 12) }, randomToken).join(' '));
  const mutated = Array.from({ length: 2000 }, () => {
    const tokens = wellFormed[rng.int(wellFormed.length)].split(' ');
    for (let k = rng.range(1, 2); k > 0; k--) {
      const at = rng.int(tokens.length + 1);
      const edit = rng.int(3);
      if (edit === 0) tokens.splice(at, 0, randomToken());
      else if (edit === 1 && tokens.length > 1) tokens.splice(Math.min(at, tokens.length - 1), 1);
      else tokens[Math.min(at, tokens.length - 1)] = randomToken();
    }
    return tokens.join(' ');
  });
  const handWritten = [
    'False and True ( True )',
    'not ( )',
    '( )',
    'True and not False',
    'True not False',
    'not not True',
  ];
  return [...wellFormed, ...random, ...mutated, ...handWritten];
}

test('parser and evaluator agree with Python eval on well-formed and malformed expressions', (t) => {
  const lines = corpus();
  const python = pythonVerdicts(lines);
  t.is(python.length, lines.length);
  const mismatches: string[] = [];
  let extensions = 0;
  let extensionsPythonAccepts = 0;
  let syntaxErrors = 0;
  lines.forEach((line, i) => {
    const verdict = checkExpression(line);
    const ours = verdict.syntactic ? (verdict.semantic ? 'True' : 'False') : 'SyntaxError';
    if (usesPythonExtension(line)) {
      extensions++;
      if (python[i] !== 'SyntaxError') extensionsPythonAccepts++;
      if (ours !== 'SyntaxError') mismatches.push(`extension accepted: ${line} -> ${ours}`);
    } else {
      if (ours === 'SyntaxError') syntaxErrors++;
      if (ours !== python[i]) mismatches.push(`${line} -> ours ${ours}, python ${python[i]}`);
    }
  });
  t.deepEqual(mismatches.slice(0, 20), []);
  // The exclusion is real: Python does run some of these lines (e.g. `False and True ( True )`, `not ( )`).
  t.true(extensionsPythonAccepts > 0);
  t.true(extensions > 50, `only ${extensions} extension lines`);
  t.true(syntaxErrors > 1000, `only ${syntaxErrors} malformed lines compared`);
  t.log(
    `${lines.length} lines: ${syntaxErrors} syntax errors agreed, ${extensions} Python-only forms (${extensionsPythonAccepts} run by Python)`,
  );
});
