import test from 'ava';
import { readFileSync } from 'node:fs';
import { lockPathFor } from '../cli/experiment.ts';
import { loadParams, parseParams, sweepBlocks, sweepCombinations } from '../experiment/params.ts';

const shipped = readFileSync('params.yaml', 'utf8');

test('the shipped params.yaml and the paper preset validate', (t) => {
  const params = loadParams('params.yaml');
  t.is(sweepCombinations(params).length, 4);
  const paper = loadParams('presets/paper.yaml');
  t.is(paper.data.n, 10_000);
  t.is(paper.generations, 50);
  t.is(sweepCombinations(paper).length, 5 * 5); // five cycles (accumulate among them) by five λ
});

test('the presets validate: long has 50 generations (M_0 … M_49, paper generations 1 … 50) and 3 seeds of seven chains, questions eight chains on the default base, seeds the default at 5 seeds, the seed questions and settings 5 seeds each', (t) => {
  const long = loadParams('presets/long.yaml');
  t.is(long.generations, 50);
  t.is(sweepCombinations(long).length, (4 + 1 + 1 + 1) * 3);
  const seedQuestions = loadParams('presets/seed-questions.yaml');
  t.is(seedQuestions.generations, 10);
  t.is(sweepCombinations(seedQuestions).length, (2 + 1 + 3 + 2) * 5);
  t.is(sweepCombinations(loadParams('presets/settings.yaml')).length, 3 * 2 * 2 * 5);
  const questions = loadParams('presets/questions.yaml');
  t.is(sweepCombinations(questions).length, 5 + 1 + 2);
  t.deepEqual({ ...questions, sweep: undefined }, { ...loadParams('params.yaml'), sweep: undefined });
  const seeds = loadParams('presets/seeds.yaml');
  t.is(sweepCombinations(seeds).length, 4 * 5);
  t.deepEqual({ ...seeds, sweep: undefined }, { ...loadParams('params.yaml'), sweep: undefined });
});

test('a params file from before curation (no curation section) runs uncurated', (t) => {
  const before = shipped.replace(/^curation:.*\n(  .*\n)*/m, '');
  t.false(before.includes('curation'));
  t.deepEqual(parseParams(before, 'old.yaml').curation, { mode: 'none', max_copies: 3, niche_size: 2 });
});

test('an unknown key is rejected with its path', (t) => {
  const error = t.throws(() => parseParams(shipped.replace('  width: 64', '  widht: 64'), 'x.yaml'));
  t.regex(error!.message, /x\.yaml/);
  t.regex(error!.message, /model: unknown key "widht"/);
  t.regex(error!.message, /model\.width: /); // and the now-missing key
});

test('a wrong type and a bad value name the key and what was expected', (t) => {
  const wrongType = t.throws(() => parseParams(shipped, 'p.yaml', ['train.steps=lots']));
  t.regex(wrongType!.message, /train\.steps: .*expected number/);
  const badValue = t.throws(() => parseParams(shipped, 'p.yaml', ['sample.temperature=-1']));
  t.regex(badValue!.message, /sample\.temperature: .*>0/);
  const badCycle = t.throws(() => parseParams(shipped.replace('name: full_synthetic', 'name: circular'), 'p.yaml'));
  t.regex(badCycle!.message, /cycle\.name: .*full_synthetic/);
});

test('cross-key rules: heads dividing width, batch a multiple of micro-batch; the task checks its own depth range', (t) => {
  const error = t.throws(() => parseParams(shipped.replace('heads: 2', 'heads: 3'), 'p.yaml', ['train.micro_batch=5']));
  t.regex(error!.message, /model\.width \(64\) must be divisible by model\.heads \(3\)/);
  t.regex(error!.message, /train\.batch_size \(32\) must be a multiple of train\.micro_batch \(5\)/);
  const depth = t.throws(() => parseParams(shipped.replace('depth_min: 1', 'depth_min: 7'), 'p.yaml'));
  t.regex(depth!.message, /task\.depth_min: 7 must not exceed task\.depth_max \(5\)/);
});

test('the task section: an unknown task lists the registered ones, a bad option names its key, the old data keys are gone', (t) => {
  const unknown = t.throws(() => parseParams(shipped, 'p.yaml', ['task.name=chess']));
  t.regex(unknown!.message, /task\.name: unknown task "chess"; the registered tasks are: logic/);
  const badOption = t.throws(() => parseParams(shipped, 'p.yaml', ['task.depth_max=2.5']));
  t.regex(badOption!.message, /task\.depth_max: .*expected int/i);
  const extra = t.throws(() =>
    parseParams(shipped.replace('  depth_max: 5\n', '  depth_max: 5\n  width: 3\n'), 'p.yaml'),
  );
  t.regex(extra!.message, /task: unknown key "width" for task 'logic'/);
  const old = t.throws(() => parseParams(shipped.replace('  n: 1000 ', '  n: 1000\n  depth_min: 1 '), 'p.yaml'));
  t.regex(old!.message, /data: unknown key "depth_min"/);
  const swept = t.throws(() => parseParams(shipped, 'p.yaml', ['sweep.task.depth_max=[3, 99]']));
  t.regex(swept!.message, /sweep\.task\.depth_max\[1\] = 99: task\.depth_max: 99 is more than the generator's 20/);
  t.deepEqual(parseParams(shipped, 'p.yaml').task, { name: 'logic', depth_min: 1, depth_max: 5 });
});

test('--set overrides any key, reads the value as YAML, and rejects unknown keys', (t) => {
  const params = parseParams(shipped, 'p.yaml', ['train.steps=50', 'sweep.cycle.lambda=[0.25, 0.75]']);
  t.is(params.train.steps, 50);
  t.deepEqual(sweepBlocks(params)[0]!['cycle.lambda'], [0.25, 0.75]);
  t.is(sweepCombinations(params).length, 8);
  t.throws(() => parseParams(shipped, 'p.yaml', ['train.stpes=5']), { message: /unknown key "train\.stpes"/ });
  // setting a swept key narrows the sweep to that value
  const narrowed = parseParams(shipped, 'p.yaml', ['cycle.name=balanced']);
  t.deepEqual(sweepBlocks(narrowed)[0]!['cycle.name'], ['balanced']);
  t.deepEqual(
    sweepCombinations(narrowed).map((p) => p.params.cycle.name),
    ['balanced'],
  );
  t.throws(() => parseParams(shipped, 'p.yaml', ['train.steps']), { message: /expected key\.path=value/ });
});

test('a bad sweep value names the sweep key and index', (t) => {
  const error = t.throws(() => parseParams(shipped, 'p.yaml', ['sweep.cycle.lambda=[0.5, 1.5]']));
  t.regex(error!.message, /sweep\.cycle\.lambda\[1\] = 1\.5: cycle\.lambda: .*<=1/);
  const unknown = t.throws(() => parseParams(shipped, 'p.yaml', ['sweep.model.depth=[1]']));
  t.regex(unknown!.message, /invalid params in p\.yaml:\n.*sweep\.model\.depth: unknown key "model\.depth"/);
});

test('base values that every sweep point overrides are not held against the file', (t) => {
  // heads 3 does not divide width 64, but the sweep only ever uses 2 and 4
  const params = parseParams(shipped.replace('heads: 2', 'heads: 3'), 'p.yaml', ['sweep.model.heads=[2, 4]']);
  t.deepEqual(
    sweepCombinations(params)
      .map((p) => p.params.model.heads)
      .sort(),
    [2, 2, 2, 2, 4, 4, 4, 4],
  );
  const bad = t.throws(() => parseParams(shipped, 'p.yaml', ['sweep.model.heads=[2, 3]']));
  t.regex(
    bad!.message,
    /model\.width \(64\) must be divisible by model\.heads \(3\) \(with cycle\.name=full_synthetic, cycle\.lambda=0\.5, model\.heads=3\)/,
  );
});

test('a params file keeps its lock beside it: params.yaml → pipeline.lock, NAME.yaml → NAME.lock', (t) => {
  t.is(lockPathFor('params.yaml'), 'pipeline.lock');
  t.is(lockPathFor('runs/params.yaml'), 'runs/pipeline.lock');
  t.is(lockPathFor('presets/paper.yaml'), 'presets/paper.lock');
});

test('a list of sweep blocks: --set sweep.KEY goes into every block, a swept key set alone narrows every block', (t) => {
  const text = shipped.replace(
    /^sweep:[\s\S]*$/m,
    'sweep:\n  - cycle.name: [full_synthetic, accumulate]\n  - curation.mode: [none, verified]\n',
  );
  const seeded = parseParams(text, 'q.yaml', ['sweep.seed=[1, 2]']);
  t.deepEqual(
    sweepBlocks(seeded).map((b) => b.seed),
    [
      [1, 2],
      [1, 2],
    ],
  );
  // (full_synthetic, none) is reached by both blocks: 3 distinct points per seed
  t.is(sweepCombinations(seeded).length, 6);
  const narrowed = parseParams(text, 'q.yaml', ['curation.mode=verified']);
  t.deepEqual(
    sweepCombinations(narrowed).map((p) => [p.params.cycle.name, p.params.curation.mode]),
    [
      ['full_synthetic', 'verified'],
      ['accumulate', 'verified'],
    ],
  );
  t.throws(() => parseParams(text, 'q.yaml', ['sweep.curation.mode=[tidy]']), {
    message: /sweep\.curation\.mode\[0\] = "tidy": curation\.mode: /s,
  });
});

test('periodic fresh data: cycle.fresh_every defaults to 0 (never) and fresh_share to 0.5; bad values name the key', (t) => {
  const { cycle } = parseParams(shipped, 'p.yaml');
  t.like(cycle, { fresh_every: 0, fresh_share: 0.5 });
  const every = t.throws(() => parseParams(shipped, 'p.yaml', ['cycle.fresh_every=-1']));
  t.regex(every!.message, /cycle\.fresh_every: .*>=0/);
  t.regex(
    t.throws(() => parseParams(shipped, 'p.yaml', ['cycle.fresh_every=1.5']))!.message,
    /cycle\.fresh_every: .*int/,
  );
  for (const share of ['0', '1.5']) {
    const error = t.throws(() => parseParams(shipped, 'p.yaml', [`cycle.fresh_share=${share}`]));
    t.regex(error!.message, share === '0' ? /cycle\.fresh_share: .*>0/ : /cycle\.fresh_share: .*<=1/, share);
  }
  const swept = t.throws(() => parseParams(shipped, 'p.yaml', ['sweep.cycle.fresh_share=[0.25, 0]']));
  t.regex(swept!.message, /sweep\.cycle\.fresh_share\[1\] = 0: cycle\.fresh_share: .*>0/);
  const sweep = parseParams(shipped, 'p.yaml', ['sweep.cycle.fresh_every=[0, 2]']);
  t.is(sweepCombinations(sweep).length, 8);
});

test('qd curation: curation.niche_size defaults to 2, is a whole number ≥ 1, and qd needs no judge', (t) => {
  t.like(parseParams(shipped, 'p.yaml', ['curation.mode=qd']).curation, { mode: 'qd', niche_size: 2 });
  const zero = t.throws(() => parseParams(shipped, 'p.yaml', ['curation.niche_size=0']));
  t.regex(zero!.message, /curation\.niche_size: .*>0/);
  const swept = t.throws(() => parseParams(shipped, 'p.yaml', ['sweep.curation.niche_size=[1, 2.5]']));
  t.regex(swept!.message, /sweep\.curation\.niche_size\[1\] = 2\.5: curation\.niche_size: .*int/);
  t.notThrows(() => parseParams(shipped, 'p.yaml', ['curation.mode=qd', 'task={name: text}']));
});
