import test from 'ava';
import { readFileSync } from 'node:fs';
import { buildPlan, type Plan } from '../engine/plan/graph.ts';
import { trainingWork } from '../experiment/estimate.ts';
import { chainName, experimentGraph } from '../experiment/graph.ts';
import { countParameters } from '../model/config.ts';
import { parseParams, sweepCombinations } from '../experiment/params.ts';
import { evalPoints, labelsOfId } from '../experiment/eval-points.ts';
import { renderCollapsedDag } from '../engine/plan/dag.ts';
import { recordParams } from '../experiment/provenance.ts';
import type { LockFile } from '../engine/store/lock-file.ts';

const shipped = readFileSync('params.yaml', 'utf8');
const planFor = (...sets: string[]): Plan =>
  buildPlan(experimentGraph(parseParams(shipped, 'params.yaml', ['generations=3', ...sets])));

const sidsByCycle = (plan: Plan, cycle: string): Map<string, string> =>
  new Map(
    [...plan.byId]
      .filter(([id]) => id.includes(`/cycle=${cycle}/`))
      .map(([id, node]) => [id.replace(/lambda=[^/]*\//, ''), node.sid]),
  );

test('a sweep of four cycles names its shared generation-0 nodes by what they depend on, without a cycle or λ', (t) => {
  const plan = planFor('sweep.cycle.lambda=[0.25, 0.75]');
  t.deepEqual(
    new Set(plan.nodes.map((n) => n.tags[n.ids[0]!]!.cycle)),
    new Set([undefined, 'full_synthetic', 'balanced', 'incremental', 'expanding']),
  );
  for (const stage of ['train', 'sample', 'eval']) {
    const gen0 = plan.nodes.filter((n) => n.stage.name === stage && n.ids[0]!.endsWith('/gen=0'));
    t.deepEqual(
      gen0.map((n) => n.ids),
      [[`${stage}/seed=1/gen=0`]],
      stage,
    );
    t.deepEqual(gen0[0]!.tags[`${stage}/seed=1/gen=0`], { stage, seed: 1, generation: 0 });
  }
  t.deepEqual(
    plan.nodes.filter((n) => n.stage.name === 'gen-d0').map((n) => n.ids),
    [['gen-d0/seed=1']],
  );
  // The first node a cycle reads is D_1: from there on every node carries its cycle (and λ where it reads one).
  t.deepEqual(
    plan.byId.get('train/cycle=balanced/seed=1/gen=1')!.inputs.dataset!.sid,
    plan.byId.get('build-dataset/cycle=balanced/seed=1/gen=1')!.sid,
  );
  t.true(
    plan.nodes.every((n) => n.ids.length === 1),
    'one name per node',
  );
});

test('λ-free cycles have no λ in their ids and the same nodes whatever λ is; λ cycles differ after generation 0', (t) => {
  const low = planFor('sweep.cycle.lambda=[0.25]');
  const high = planFor('sweep.cycle.lambda=[0.75]');
  for (const cycle of ['full_synthetic', 'balanced']) {
    t.false([...low.byId.keys()].some((id) => id.includes(`cycle=${cycle}/lambda`)));
    t.true(sidsByCycle(low, cycle).size > 0);
    t.deepEqual(sidsByCycle(low, cycle), sidsByCycle(high, cycle));
  }
  for (const cycle of ['incremental', 'expanding']) {
    const a = sidsByCycle(low, cycle);
    const b = sidsByCycle(high, cycle);
    t.true(a.size > 0);
    t.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
    for (const [id, sid] of a) {
      if (id.endsWith('/gen=0')) t.is(b.get(id), sid, id);
      else t.not(b.get(id), sid, id);
    }
  }
});

test('each generation has train, sample, eval and (but the last) build-dataset, wired to the right inputs', (t) => {
  const plan = planFor('sweep.cycle.name=[incremental]');
  const id = (stage: string, g: number) => `${stage}/cycle=incremental/lambda=0.5/seed=1/gen=${g}`;
  t.truthy(plan.byId.get(id('build-dataset', 2)));
  t.falsy(plan.byId.get(id('build-dataset', 3)));
  const build2 = plan.byId.get(id('build-dataset', 2))!;
  t.is(build2.inputs.samples.sid, plan.byId.get(id('sample', 1))!.sid);
  t.is(build2.inputs.dataset.sid, plan.byId.get(id('build-dataset', 1))!.sid);
  t.is(build2.inputs.d0.sid, plan.byId.get('gen-d0/seed=1')!.sid);
  t.is(plan.byId.get(id('train', 2))!.inputs.dataset.sid, build2.sid);
  t.deepEqual(plan.byId.get(id('eval', 2))!.tags[id('eval', 2)], {
    stage: 'eval',
    cycle: 'incremental',
    lambda: 0.5,
    seed: 1,
    generation: 2,
  });
});

test('the model stages get the backend and kernel set as runtime; they enter the params slice only when runtime.backend_in_key is set', (t) => {
  const train = (plan: Plan) => plan.byId.get('train/seed=1/gen=0')!;
  t.is(train(planFor('runtime.backend=cpu')).sid, train(planFor('runtime.backend=wasm')).sid);
  t.is(train(planFor('runtime.kernels=wasm')).sid, train(planFor('runtime.kernels=native')).sid);
  t.not(
    train(planFor('runtime.backend=cpu', 'runtime.backend_in_key=true')).sid,
    train(planFor('runtime.backend=wasm', 'runtime.backend_in_key=true')).sid,
  );
  t.not(
    train(planFor('runtime.kernels=wasm', 'runtime.backend_in_key=true')).sid,
    train(planFor('runtime.kernels=native', 'runtime.backend_in_key=true')).sid,
  );
  const plan = planFor('runtime.backend=cpu');
  for (const stage of ['train', 'sample']) {
    const node = plan.byId.get(`${stage}/cycle=full_synthetic/seed=1/gen=1`)!;
    t.deepEqual(
      node.runtime,
      {
        backend: 'cpu',
        kernels: 'auto',
        blas_coretype: 'Haswell',
        blas_threads: 1,
        lone_node_threads: 1,
        blas_library: 'libopenblas.so.0',
      },
      stage,
    );
    t.false('backend' in (node.params as object), stage);
  }
  // eval runs a model only for the perplexities.
  const evalRuntime = (p: Plan) => p.byId.get('eval/cycle=full_synthetic/seed=1/gen=1')!.runtime;
  t.deepEqual(evalRuntime(plan), plan.byId.get('train/cycle=full_synthetic/seed=1/gen=1')!.runtime);
  t.deepEqual(evalRuntime(planFor('runtime.backend=cpu', 'eval.perplexity=false')), {});
  t.is(
    (train(planFor('runtime.backend=cpu', 'runtime.backend_in_key=true')).params as { backend?: string }).backend,
    'cpu',
  );
});

test('cycle.fresh_every = 2: only D_2 and the nodes after it carry it; the chain shares D_1 with the chain without fresh data', (t) => {
  const plan = planFor(
    'sweep.cycle.name=[full_synthetic, balanced]',
    'sweep.cycle.fresh_every=[0, 2]',
    'cycle.fresh_share=0.25',
  );
  for (const cycle of ['full_synthetic', 'balanced']) {
    const without = `cycle=${cycle}/seed=1`;
    const fresh = `${without}/cycle.fresh_every=2`;
    t.truthy(plan.byId.get(`train/${without}/gen=1`));
    t.falsy(plan.byId.get(`train/${fresh}/gen=1`), 'D_1 takes no fresh rows: one node for both chains');
    t.like(plan.byId.get(`build-dataset/${without}/gen=2`)!.params, { cycle, generation: 2 });
    t.false('fresh_every' in (plan.byId.get(`build-dataset/${without}/gen=2`)!.params as object));
    t.like(plan.byId.get(`build-dataset/${fresh}/gen=2`)!.params, { cycle, fresh_every: 2, fresh_share: 0.25 });
    t.is(
      plan.byId.get(`build-dataset/${fresh}/gen=2`)!.inputs.dataset.sid,
      plan.byId.get(`build-dataset/${without}/gen=1`)!.sid,
    );
    t.truthy(plan.byId.get(`eval/${fresh}/gen=2`));
  }
});

test('the default params.yaml: gen-d0, build-dataset and curate slices as before the knobs of issue 26', (t) => {
  const plan = buildPlan(experimentGraph(parseParams(shipped, 'params.yaml')));
  const slices = (stage: string) =>
    Object.fromEntries(plan.nodes.filter((n) => n.stage.name === stage).map((n) => [n.ids[0], n.params]));
  const logic = { depth_min: 1, depth_max: 5 };
  t.deepEqual(slices('gen-d0'), { 'gen-d0/seed=1': { n: 1000, ...logic } });
  const builds = slices('build-dataset');
  t.is(Object.keys(builds).length, 4 * 5);
  t.deepEqual(builds['build-dataset/cycle=full_synthetic/seed=1/gen=2'], {
    cycle: 'full_synthetic',
    n: 1000,
    generation: 2,
    ...logic,
  });
  t.deepEqual(builds['build-dataset/cycle=balanced/seed=1/gen=4'], {
    cycle: 'balanced',
    n: 1000,
    generation: 4,
    ...logic,
  });
  t.deepEqual(builds['build-dataset/cycle=expanding/lambda=0.5/seed=1/gen=1'], {
    cycle: 'expanding',
    lambda: 0.5,
    n: 1000,
    generation: 1,
    ...logic,
  });
  t.deepEqual(builds['build-dataset/cycle=incremental/lambda=0.5/seed=1/gen=5'], {
    cycle: 'incremental',
    lambda: 0.5,
    n: 1000,
    generation: 5,
    ...logic,
  });
  t.deepEqual(slices('curate'), {}, 'no curation');
  for (const [mode, slice] of [
    ['verified', { mode: 'verified', generation: 0 }],
    ['capped', { mode: 'capped', max_copies: 3, generation: 0 }],
  ] as const) {
    const curated = buildPlan(experimentGraph(parseParams(shipped, 'params.yaml', [`curation.mode=${mode}`])));
    t.deepEqual(curated.byId.get('curate/seed=1/gen=0')!.params, slice, mode);
  }
  // data.distinct = n is every row distinct: the same D_0, by the same key.
  const explicit = buildPlan(experimentGraph(parseParams(shipped, 'params.yaml', ['data.distinct=1000'])));
  t.is(explicit.byId.get('gen-d0/seed=1')!.sid, plan.byId.get('gen-d0/seed=1')!.sid);
});

test('data.distinct below n is in the gen-d0 slice and names D_0 and every node after it', (t) => {
  const plan = planFor('sweep.cycle.name=[full_synthetic]', 'sweep.data.distinct=[100, 1000]');
  t.deepEqual(plan.byId.get('gen-d0/seed=1/data.distinct=100')!.params, {
    n: 1000,
    distinct: 100,
    depth_min: 1,
    depth_max: 5,
  });
  t.deepEqual(plan.byId.get('gen-d0/seed=1')!.params, { n: 1000, depth_min: 1, depth_max: 5 });
  t.truthy(plan.byId.get('train/seed=1/data.distinct=100/gen=0'));
  t.truthy(plan.byId.get('build-dataset/cycle=full_synthetic/seed=1/data.distinct=100/gen=1'));
  t.truthy(plan.byId.get('train/seed=1/gen=0'));
  t.falsy(plan.byId.get('train/seed=1/data.distinct=1000/gen=0'), 'distinct = n is the default D_0');
  // A chain of a sweep block that leaves the optional key out is not named by it.
  const blocks = parseParams(
    shipped.replace(/^sweep:[\s\S]*$/m, 'sweep:\n  - cycle.name: [full_synthetic]\n  - data.distinct: [100]\n'),
    'p.yaml',
  );
  t.deepEqual(sweepCombinations(blocks).map(chainName), [
    'cycle=full_synthetic/seed=1',
    'cycle=full_synthetic/seed=1/data.distinct=100',
  ]);
});

test('eval.perplexity: one gen-heldout node per seed, which fresh draws avoid and eval reads with M_t and M_0; off, none', (t) => {
  const plan = planFor('sweep.cycle.name=[full_synthetic, expanding]', 'sweep.seed=[1, 2]');
  const heldout = plan.nodes.filter((n) => n.stage.name === 'gen-heldout');
  t.deepEqual(
    heldout.map((n) => n.ids),
    [['gen-heldout/seed=1'], ['gen-heldout/seed=2']],
  );
  t.deepEqual(heldout[0]!.params, { n: 1000, depth_min: 1, depth_max: 5 });
  t.is(heldout[0]!.inputs.d0!.sid, plan.byId.get('gen-d0/seed=1')!.sid);
  const sid = (id: string) => plan.byId.get(id)!.sid;
  const evaluation = plan.byId.get('eval/cycle=expanding/lambda=0.5/seed=2/gen=2')!;
  t.deepEqual(Object.keys(evaluation.inputs).sort(), ['dataset', 'heldout', 'samples', 'weights', 'weights_m0']);
  t.is(evaluation.inputs.weights!.sid, sid('train/cycle=expanding/lambda=0.5/seed=2/gen=2'));
  t.is(evaluation.inputs.weights_m0!.sid, sid('train/seed=2/gen=0'));
  t.is(evaluation.inputs.heldout!.sid, sid('gen-heldout/seed=2'));
  t.is(plan.byId.get('eval/seed=1/gen=0')!.inputs.weights_m0!.sid, sid('train/seed=1/gen=0'));
  // Only a node that draws fresh rows reads H: the others' inputs, and so their seeds, are what they were without it.
  for (const n of plan.nodes.filter((n) => n.stage.name === 'build-dataset')) {
    const id = n.ids[0]!;
    const expanding = id.includes('cycle=expanding');
    t.is(n.inputs.heldout?.sid ?? 'none', expanding ? sid(`gen-heldout/seed=${n.tags[id]!.seed}`) : 'none', id);
  }
  const injecting = planFor('sweep.cycle.name=[full_synthetic]', 'cycle.fresh_every=2');
  t.falsy(injecting.byId.get('build-dataset/cycle=full_synthetic/seed=1/gen=1')!.inputs.heldout);
  t.is(
    injecting.byId.get('build-dataset/cycle=full_synthetic/seed=1/gen=2')!.inputs.heldout!.sid,
    injecting.byId.get('gen-heldout/seed=1')!.sid,
  );

  const off = planFor('sweep.cycle.name=[full_synthetic, expanding]', 'sweep.seed=[1, 2]', 'eval.perplexity=false');
  t.false(off.nodes.some((n) => n.stage.name === 'gen-heldout'));
  for (const n of off.nodes.filter((n) => n.stage.name === 'eval'))
    t.deepEqual(Object.keys(n.inputs).sort(), ['dataset', 'samples'], n.ids[0]);
  t.false(off.nodes.some((n) => 'heldout' in n.inputs));
  // The perplexity keys are in no eval node's key: off, its nodes are the ones before perplexity existed.
  t.deepEqual(Object.keys(plan.byId.get('eval/seed=1/gen=0')!.params as object).sort(), [
    'data_diversity_pairs',
    'diversity_pairs',
    'generation',
  ]);
});

test('another swept key (model width) names its chains and does not share training across widths', (t) => {
  const plan = planFor('sweep.cycle.name=[full_synthetic]', 'sweep.model.width=[32, 64]');
  const trains = plan.nodes.filter((n) => n.stage.name === 'train' && n.ids[0].endsWith('/gen=0'));
  t.is(trains.length, 2);
  t.true(trains.some((n) => n.ids[0] === 'train/seed=1/model.width=32/gen=0'));
  t.is(plan.nodes.filter((n) => n.stage.name === 'gen-d0').length, 1, 'D_0 does not depend on the width');
});

test('training work counts each distinct training once and skips cached ones', (t) => {
  const plan = planFor();
  const trainings = plan.nodes.filter((n) => n.stage.name === 'train');
  t.is(trainings.length, 1 + 4 * 2, 'M_0 shared, then two generations for each of four cycles');
  const all = trainingWork(plan, () => false);
  t.is(all.trainings, 9);
  const { train } = parseParams(shipped, 'params.yaml');
  t.is(all.tokens, 9 * train.steps * train.batch_size * 64);
  // 6 · parameters · tokens, parameters of the 2-layer 64-wide GPT over 8 tokens with a 64-token block
  t.is(
    all.flops,
    6 * countParameters({ vocabSize: 8, blockSize: 64, nLayer: 2, nHead: 2, nEmbd: 64, dropout: 0 }) * all.tokens,
  );
  const gen0 = trainings.find((n) => n.ids[0].endsWith('/gen=0'))!.sid;
  t.is(trainingWork(plan, (sid) => sid === gen0).trainings, 8);
});

test('curation none builds no curate node; a curation mode puts one between sample and build-dataset, eval still reads raw S_t', (t) => {
  const none = planFor('sweep.cycle.name=[full_synthetic]');
  t.false(none.nodes.some((n) => n.stage.name === 'curate'));
  const curated = planFor('sweep.cycle.name=[full_synthetic]', 'curation.mode=verified');
  const curates = curated.nodes.filter((n) => n.stage.name === 'curate');
  t.is(curates.length, 2, 'S_0 and S_1 feed D_1 and D_2');
  const build = curated.byId.get('build-dataset/cycle=full_synthetic/seed=1/gen=1')!;
  t.is(build.inputs.samples!.sid, curated.byId.get('curate/seed=1/gen=0')!.sid);
  const evaluation = curated.byId.get('eval/seed=1/gen=0')!;
  t.is(evaluation.inputs.samples!.sid, curated.byId.get('sample/seed=1/gen=0')!.sid);
  t.deepEqual(curates[0]!.params, { mode: 'verified', generation: 0 }, 'max_copies only in the capped mode');
  const qd = planFor('sweep.cycle.name=[full_synthetic]', 'curation.mode=qd', 'sweep.curation.niche_size=[1, 3]');
  t.deepEqual(
    qd.nodes.filter((n) => n.stage.name === 'curate' && n.ids[0]!.endsWith('gen=0')).map((n) => [n.ids, n.params]),
    [
      [['curate/seed=1/curation.niche_size=1/gen=0'], { mode: 'qd', niche_size: 1, generation: 0 }],
      [['curate/seed=1/curation.niche_size=3/gen=0'], { mode: 'qd', niche_size: 3, generation: 0 }],
    ],
    'niche_size only in the qd mode, and in its ids',
  );
  // Curation changes nothing upstream of the first curated S_t.
  for (const id of ['train/seed=1/gen=0', 'sample/seed=1/gen=0']) {
    t.is(curated.byId.get(id)!.sid, none.byId.get(id)!.sid, id);
  }
});

test('a list of sweep blocks runs the union of their products; a point two blocks reach is one chain', (t) => {
  const text = shipped.replace(
    /^sweep:[\s\S]*$/m,
    [
      'sweep:',
      '  - cycle.name: [full_synthetic]',
      '    curation.mode: [none, unique]',
      '  - cycle.name: [full_synthetic, accumulate]',
      '  - model.width: [32, 64]',
      '',
    ].join('\n'),
  );
  const plan = buildPlan(experimentGraph(parseParams(text, 'q.yaml', ['generations=2'])));
  const chains = [
    ...new Set(
      plan.nodes
        .filter((n) => n.stage.name === 'eval')
        .flatMap((n) => n.ids)
        .map((id) => id.replace(/\/gen=\d+$/, '')),
    ),
  ].sort();
  t.deepEqual(chains, [
    'eval/cycle=accumulate/seed=1/curation.mode=none/model.width=64',
    'eval/cycle=full_synthetic/seed=1/curation.mode=none/model.width=32',
    'eval/cycle=full_synthetic/seed=1/curation.mode=none/model.width=64',
    'eval/cycle=full_synthetic/seed=1/curation.mode=unique/model.width=64',
    'eval/seed=1/model.width=32',
    'eval/seed=1/model.width=64',
  ]);
  const noneTrains = plan.nodes.filter(
    (n) => n.stage.name === 'train' && n.ids.some((id) => id.includes('model.width=64')),
  );
  t.is(
    noneTrains.filter((n) => n.ids.some((id) => id.endsWith('gen=0'))).length,
    1,
    'generation 0 at width 64 is shared by three chains',
  );
});

/** The lock a run of these params would write, without outputs or metrics: what the readers place in chains. */
function lockOfGraph(params: ReturnType<typeof parseParams>, file: string): LockFile {
  const plan = buildPlan(experimentGraph(params));
  const nodes: LockFile['nodes'] = Object.fromEntries(
    plan.nodes.map((n) => [
      n.ids[0]!,
      { stage: n.stage.name, key: n.sid, outputs: {}, metrics: {}, tags: n.tags[n.ids[0]!]! },
    ]),
  );
  return { version: 2, params: recordParams(params, file, []), nodes };
}

test('a lock of the new names reads as before: the shared generation 0 is a point of every chain, with its cycle', (t) => {
  const params = parseParams(shipped, 'params.yaml', ['generations=2']);
  const lock = lockOfGraph(params, 'params.yaml');
  const points = evalPoints(lock);
  const chains = Object.keys(lock.params!.chains);
  t.is(chains.length, 4);
  t.deepEqual(
    points.map((p) => `${p.chain} ${p.place.generation}`).sort(),
    chains.flatMap((c) => [`${c} 0`, `${c} 1`]).sort(),
  );
  const gen0 = points.filter((p) => p.place.generation === 0);
  t.true(gen0.every((p) => p.node === 'eval/seed=1/gen=0'));
  t.deepEqual(
    new Set(gen0.map((p) => p.place.cycle)),
    new Set(['full_synthetic', 'balanced', 'incremental', 'expanding']),
  );
  t.deepEqual(gen0.find((p) => p.chain === 'cycle=incremental/lambda=0.5/seed=1')!.place, {
    cycle: 'incremental',
    lambda: 0.5,
    seed: 1,
    generation: 0,
    extra: {},
  });
});

test("sweep blocks whose chains have all of another block's labels and more: each chain reads its own nodes", (t) => {
  // The seed questions' shape: the plain loop, periodic fresh data from D_2 on, and a D_0 of few distinct rows.
  const text = shipped.replace(
    /^sweep:[\s\S]*$/m,
    'sweep:\n  - cycle.name: [full_synthetic]\n    cycle.fresh_every: [0, 2]\n  - cycle.name: [full_synthetic]\n    data.distinct: [100]\n',
  );
  const params = parseParams(text, 'p.yaml', ['generations=4']);
  const lock = lockOfGraph(params, 'p.yaml');
  const byChain = new Map<string, string[]>();
  for (const p of evalPoints(lock)) byChain.set(p.chain, [...(byChain.get(p.chain) ?? []), p.node]);
  t.is(byChain.size, 3, 'the plain chain is one though the others have all its labels');
  for (const [chain, ids] of byChain) {
    t.is(ids.length, 4, `${chain}: one eval node a generation`);
    if (chain.includes('data.distinct'))
      t.true(
        ids.every((id) => id.includes('data.distinct=100')),
        chain,
      );
    else
      t.false(
        ids.some((id) => id.includes('data.distinct')),
        chain,
      );
  }
  const fresh = [...byChain].find(([chain]) => chain.includes('cycle.fresh_every=2'))![1];
  t.deepEqual(
    fresh.map((id) => id.includes('cycle.fresh_every=2')),
    [false, false, true, true],
    'shares generations 0 and 1 with the plain chain, then its own',
  );
});

test('dag --collapse: one line per chain and the chains it reads, within a screen', (t) => {
  const plan = planFor('sweep.cycle.lambda=[0.25, 0.75]', 'generations=5');
  const text = renderCollapsedDag(plan, 'text', (node) => labelsOfId(node.ids[0]!).join('/'));
  const heads = text.split('\n').filter((line) => line && !line.startsWith(' '));
  t.is(heads.length, 7, 'generation 0 and six chains');
  t.is(heads[0], 'seed=1  [5 nodes]  gen-d0, gen-heldout, train, sample, eval');
  t.true(heads.includes('cycle=expanding/lambda=0.75/seed=1  [16 nodes]  build-dataset, train, sample, eval'));
  t.is(text.split('\n').filter((line) => line === '    ← seed=1').length, 6);
  t.true(text.split('\n').every((line) => line.length <= 100));
});
