import test from 'ava';
import { reportCharts } from '../experiment/report-charts.ts';

// Diversity of two seeds × three generations for full_synthetic at widths 32 and 64 (curation none), plus one
// curated chain at width 64: the width chart must split the uncurated panel by width and leave the curated one out.
const point = (
  cycle: string,
  extra: Record<string, string | number>,
  seed: number,
  generation: number,
  diversity: number,
) => ({
  node: `eval/${seed}/${generation}/${JSON.stringify(extra)}`,
  chain: `cycle=${cycle}/seed=${seed}/${JSON.stringify(extra)}`,
  place: { cycle, seed, generation, extra },
  metrics: { 'samples.diversity': diversity },
});
const points = [1, 2].flatMap((seed) =>
  [0, 1, 2].flatMap((g) => [
    point('full_synthetic', { 'curation.mode': 'none', 'model.width': 32 }, seed, g, 0.5 - 0.1 * g + 0.01 * seed),
    point('full_synthetic', { 'curation.mode': 'none', 'model.width': 64 }, seed, g, 0.6 - 0.05 * g + 0.01 * seed),
    point('full_synthetic', { 'curation.mode': 'unique', 'model.width': 64 }, seed, g, 0.6),
  ]),
);

test('a swept key other than cycle and λ gets its own chart: one line per value, one panel per rest of the series', (t) => {
  const chart = reportCharts(points).find((c) => c.name === 'diversity-model.width');
  t.truthy(chart?.spec, 'a diversity-model.width chart');
  const spec = chart!.spec as unknown as {
    data: {
      values: Array<{ variant: string; panel: string; generation: number; mean: number; low: number; high: number }>;
    };
    spec: { layer: Array<{ encoding: { color: { scale: { domain: string[] } } } }> };
  };
  const values = spec.data.values;
  t.deepEqual(
    [...new Set(values.map((v) => v.panel))],
    ['full_synthetic curation.mode=none'],
    'the curated chain has one width only',
  );
  t.deepEqual(spec.spec.layer[0]!.encoding.color.scale.domain, ['model.width=32', 'model.width=64']);
  const at = (variant: string, generation: number) =>
    values.find((v) => v.variant === variant && v.generation === generation)!;
  // mean over seeds 1 and 2 of 0.5 − 0.1·2 + 0.01·seed
  t.is(Number(at('model.width=32', 2).mean.toFixed(6)), 0.315);
  t.true(at('model.width=32', 2).low < 0.315 && at('model.width=32', 2).high > 0.315, 'two seeds: an interval');
  t.is(Number(at('model.width=64', 1).mean.toFixed(6)), 0.565);
});

test('the curation key gets its chart too, and a key with one value per series is left out with the reason', (t) => {
  const charts = reportCharts(points);
  const curation = charts.find((c) => c.name === 'diversity-curation.mode')!;
  const values = (curation.spec as unknown as { data: { values: Array<{ panel: string }> } }).data.values;
  t.deepEqual([...new Set(values.map((v) => v.panel))], ['full_synthetic model.width=64']);
  const single = reportCharts(
    points.filter((p) => p.place.extra['model.width'] === 64 && p.place.extra['curation.mode'] === 'none'),
  );
  t.regex(
    single.find((c) => c.name === 'diversity-model.width')!.omitted!,
    /no series has more than one value of model\.width/,
  );
});
