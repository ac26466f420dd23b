/**
 * Progress without a TTY (CI logs, Slurm job output, `| tee`): a line when a node starts and ends, and for a
 * long node a line with its step and ETA at most every --progress-every seconds.
 */
import test from 'ava';
import { Workspace } from './fixtures/engine/harness.ts';

test('without a TTY, a long node prints start, periodic step/ETA lines no more often than the interval, and its end', async (t) => {
  const ws = new Workspace({ params: { slow: { steps: 12, sleepMs: 150 } } });
  const result = await ws.run(['repro', '--jobs', '1', '--progress-every', '0.4']);
  t.is(result.code, 0, result.stdout + result.stderr);
  const lines = result.stdout.split('\n');
  const start = lines.findIndex((l) => /^start {3}slow$/.test(l));
  const end = lines.findIndex((l) => /^ran {5}slow {2}[\d.]+s$/.test(l));
  t.true(start >= 0 && end > start, result.stdout);
  const progress = lines.slice(start + 1, end).filter((l) => l.startsWith('running slow'));
  // 12 steps of 150 ms take 1.8 s or more: a line at most every 0.4 s of the node's run, never one per step.
  const seconds = Number(/ ([\d.]+)s$/.exec(lines[end])![1]);
  const most = Math.floor(seconds / 0.4) + 1;
  t.true(progress.length >= 2 && progress.length <= most && progress.length < 12, `${progress.length} progress lines in ${seconds}s:\n${progress.join('\n')}`);
  for (const line of progress) t.regex(line, /^running slow {2}\d+\/12 steps(  ETA \d+s)? {2}\d+s elapsed$/);
  t.regex(progress.at(-1)!, /ETA \d+s/);
  t.regex(result.stdout, /^start {3}source$/m, 'short nodes get their start line too');
});

test('with the default interval, a short node prints no progress lines', async (t) => {
  const ws = new Workspace({ params: { slow: { steps: 4, sleepMs: 50 } } });
  const result = await ws.run(['repro', '--jobs', '1']);
  t.is(result.code, 0, result.stdout + result.stderr);
  t.notRegex(result.stdout, /^running /m);
  t.regex(result.stdout, /^ran {5}slow/m);
});

test('repro rejects a --progress-every, --max-jobs or --retries it cannot use, quoting the value', async (t) => {
  const ws = new Workspace();
  for (const [flag, value, expected] of [
    ['--progress-every', 'abc', /--progress-every wants a positive number of seconds, got 'abc'/],
    ['--progress-every', '0', /--progress-every wants a positive number of seconds, got '0'/],
    ['--max-jobs', '0', /--max-jobs wants a positive integer, got '0'/],
    ['--retries', '-1', /--retries wants a whole number, got '-1'/],
  ] as const) {
    const result = await ws.run(['repro', flag, value]);
    t.is(result.code, 1);
    t.regex(result.stderr, expected);
  }
  t.false(ws.counterLines().length > 0, 'nothing ran');
});
