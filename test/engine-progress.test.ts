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
  // Each line without its [k/N] (tested below).
  const lines = result.stdout.split('\n').map((l) => l.replace(/^\[[^\]]*\] /, ''));
  const start = lines.findIndex((l) => /^start {3}slow$/.test(l));
  const end = lines.findIndex((l) => /^ran {5}slow {2}[\d.]+s$/.test(l));
  t.true(start >= 0 && end > start, result.stdout);
  const progress = lines.slice(start + 1, end).filter((l) => l.startsWith('running slow'));
  // 12 steps of 150 ms take 1.8 s or more: a line at most every 0.4 s of the node's run, never one per step.
  const seconds = Number(/ ([\d.]+)s$/.exec(lines[end])![1]);
  const most = Math.floor(seconds / 0.4) + 1;
  t.true(
    progress.length >= 2 && progress.length <= most && progress.length < 12,
    `${progress.length} progress lines in ${seconds}s:\n${progress.join('\n')}`,
  );
  for (const line of progress) t.regex(line, /^running slow {2}\d+\/12 steps(  ETA \d+s)? {2}\d+s elapsed$/);
  t.regex(progress.at(-1)!, /ETA \d+s/);
  t.regex(result.stdout, /^\[\d+\/\d+\] start {3}source$/m, 'short nodes get their start line too');
});

test('without a TTY every line carries [k/N], and once runs are recorded the time the run has left', async (t) => {
  const ws = new Workspace({ params: { slow: { steps: 6, sleepMs: 150 } } });
  const first = await ws.run(['repro', '--jobs', '1']);
  t.is(first.code, 0, first.stdout + first.stderr);
  const lines = first.stdout.trimEnd().split('\n').slice(0, -1);
  for (const line of lines) t.regex(line, /^\[\d\/5\] /);
  t.regex(lines.at(-1)!, /^\[5\/5\] ran /, 'the last node ends the count');
  t.false(
    lines.some((l) => l.includes('left')),
    'nothing recorded yet: no time left shown',
  );
  // A rerun of everything: each node has its own recorded duration now. slow took ≥ 0.9 s, so at its start the run
  // has a second or more left.
  const again = await ws.run(['repro', '--jobs', '1', '--force', '*']);
  t.is(again.code, 0, again.stdout + again.stderr);
  const startSlow = again.stdout.split('\n').find((l) => / start {3}slow$/.test(l))!;
  t.regex(startSlow, /^\[\d\/5 ~[1-9]s left\] start {3}slow$/);
  t.regex(again.stdout, /^\[5\/5\] ran /m, 'nothing left, no time left shown');
  const dry = await ws.run(['repro', '--dry', '--jobs', '1', '--force', '*']);
  t.regex(
    dry.stdout,
    /^5 of 5 nodes would run, about [1-9]s on 1 worker \(from the recorded durations of similar nodes\)$/m,
  );
});

test('with the default interval, a short node prints no progress lines', async (t) => {
  const ws = new Workspace({ params: { slow: { steps: 4, sleepMs: 50 } } });
  const result = await ws.run(['repro', '--jobs', '1']);
  t.is(result.code, 0, result.stdout + result.stderr);
  t.notRegex(result.stdout, /^running /m);
  t.regex(result.stdout, /^\[\d\/5\] ran {5}slow/m);
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
