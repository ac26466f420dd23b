/**
 * Each chart of a small lock rendered as a reader sees it, by Vega in Node (no browser): how many series it draws,
 * its axis titles, its reference lines, and that no label is cut short (Vega ends a cut label with "…") nor drawn
 * outside the picture.
 */
import test from 'ava';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { chanceOfTrue } from '../experiment/chance.ts';
import { evalPoints } from '../experiment/eval-points.ts';
import { reportCharts } from '../experiment/report-charts.ts';
import { makeLock, SWEEP_CHART_NAMES } from './fixtures/compare/locks.ts';

interface Item {
  mark: { marktype: string; role?: string; name?: string };
  text?: string | string[];
  bounds?: vega.Bounds;
  items?: Item[];
}

async function render(spec: TopLevelSpec) {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  await view.runAsync();
  const texts: Array<{ role: string; text: string; bounds: vega.Bounds }> = [];
  // The scenegraph: groups hold marks, marks hold items; a text item knows its role (axis-title, legend-label, …).
  // Bounds are in the coordinates of the enclosing group, so the groups' offsets add up on the way down.
  const walk = (node: { marktype?: string; role?: string; items?: unknown[] }, dx: number, dy: number) => {
    for (const item of (node.items ?? []) as Array<
      Item & { marktype?: string; role?: string; x?: number; y?: number }
    >) {
      if (node.marktype === 'text' && item.text !== undefined) {
        const b = item.bounds!;
        texts.push({
          role: node.role ?? '',
          text: [item.text].flat().join(' '),
          bounds: { x1: b.x1 + dx, x2: b.x2 + dx, y1: b.y1 + dy, y2: b.y2 + dy } as vega.Bounds,
        });
      }
      const group = node.marktype === 'group';
      walk(item as never, dx + (group ? (item.x ?? 0) : 0), dy + (group ? (item.y ?? 0) : 0));
    }
  };
  walk((view.scenegraph() as unknown as { root: never }).root, 0, 0);
  const svg = await view.toSVG();
  const origin = (view as unknown as { _origin: [number, number] })._origin;
  const size = { width: Number(/width="(\d+)"/.exec(svg)![1]), height: Number(/height="(\d+)"/.exec(svg)![1]) };
  view.finalize();
  return { texts, size, origin };
}

// Ten series: two cycles without λ and four λ each for the other two, two seeds so that intervals are drawn.
const lock = makeLock({ lambdas: [0.1, 0.25, 0.5, 0.9], seeds: [1, 2], generations: 4 });
const chance = chanceOfTrue(1, 5);

test('the chance rate is measured by the generator, near one half', (t) => {
  t.true(chance.rate > 0.47 && chance.rate < 0.53, String(chance.rate));
  t.is(chance.sample, 20_000);
});

test('every chart of ten series draws them all, titles its axes, and cuts no label', async (t) => {
  const charts = reportCharts(evalPoints(lock), chance).filter((c) => c.spec);
  t.deepEqual(
    charts.map((c) => c.name),
    SWEEP_CHART_NAMES,
  );
  for (const chart of charts.filter((c) => !c.name.startsWith('change-'))) {
    const { texts, size, origin } = await render(chart.spec!);
    const cut = texts.filter((x) => x.text.includes('…'));
    t.deepEqual(cut, [], `${chart.name}: labels cut short`);
    // Inside the picture: the SVG spans the view's bounds from its origin.
    for (const x of texts)
      t.true(
        x.bounds.x2 + origin[0] <= size.width + 1 && x.bounds.x1 + origin[0] >= -1,
        `${chart.name}: '${x.text}' outside the picture`,
      );
    const titles = texts.filter((x) => x.role === 'axis-title').map((x) => x.text);
    t.true(titles.includes('generation'), `${chart.name}: ${titles.join(', ')}`);
    // One legend entry per series drawn (per λ in the λ chart), none lost when layers share the legend.
    t.is(texts.filter((x) => x.role === 'legend-label').length, chart.name === 'diversity-lambda' ? 4 : 10, chart.name);
  }
});

test('change charts of ten series: a labelled row each, none cut short or outside the picture, no legend', async (t) => {
  const charts = reportCharts(evalPoints(lock), chance).filter((c) => c.name.startsWith('change-'));
  t.is(charts.length, 3);
  for (const chart of charts) {
    const { texts, size, origin } = await render(chart.spec!);
    t.deepEqual(
      texts.filter((x) => x.text.includes('…')),
      [],
      `${chart.name}: labels cut short`,
    );
    for (const x of texts)
      t.true(
        x.bounds.x2 + origin[0] <= size.width + 1 && x.bounds.x1 + origin[0] >= -1,
        `${chart.name}: '${x.text}' outside the picture`,
      );
    const rows = texts.filter((x) => x.role === 'axis-label' && /^[a-z]/.test(x.text)).map((x) => x.text);
    t.is(rows.length, 10, rows.join(', '));
    t.true(rows.includes('incremental λ=0.25'), 'several cycles: the series with its cycle');
    t.is(texts.filter((x) => x.role === 'legend-label').length, 0);
    t.true(texts.some((x) => x.role === 'axis-title' && x.text.startsWith('Δ ')));
  }
});

test('correctness: semantic lines for ten series with the chance line, syntactic in its own panel', async (t) => {
  const spec = reportCharts(evalPoints(lock), chance).find((c) => c.name === 'correctness')!.spec!;
  const { texts } = await render(spec);
  const legend = texts.filter((x) => x.role === 'legend-label').map((x) => x.text);
  t.is(legend.length, 10);
  t.true(legend.includes('incremental λ=0.25'));
  t.true(
    texts.some((x) => x.text === `chance ${(100 * chance.rate).toFixed(1)}% (random expressions)`),
    'the chance line is labelled with the measured rate',
  );
  const titles = texts.filter((x) => x.role === 'axis-title').map((x) => x.text);
  t.true(titles.includes('True (share of S_t)') && titles.includes('parses'));
});

test('diversity: a D_0 reference line; intervals stay within 0..1', async (t) => {
  const charts = reportCharts(evalPoints(lock), chance);
  for (const name of ['diversity', 'diversity-lambda']) {
    const { texts } = await render(charts.find((c) => c.name === name)!.spec!);
    t.true(
      texts.some((x) => /^D_0 0\.\d{3}/.test(x.text)),
      `${name}: D_0 line`,
    );
  }
  const spec = charts.find((c) => c.name === 'correctness')!.spec as unknown as {
    vconcat: Array<{ data: { values: Array<{ low: number; high: number }> } }>;
  };
  for (const panel of spec.vconcat) for (const v of panel.data.values) t.true(v.low >= 0 && v.high <= 1);
});

test('series are told apart: colours within a cycle differ and so do dash patterns', (t) => {
  const spec = reportCharts(evalPoints(lock), chance).find((c) => c.name === 'diversity')!.spec as unknown as {
    layer: Array<{
      encoding: { color?: { scale: { range: string[] } }; strokeDash?: { scale: { range: number[][] } } };
    }>;
  };
  const line = spec.layer.find((l) => l.encoding.strokeDash)!;
  t.is(new Set(line.encoding.color!.scale.range).size, 10);
  const pairs = line.encoding.color!.scale.range.map(
    (c, i) => `${c} ${JSON.stringify(line.encoding.strokeDash!.scale.range[i])}`,
  );
  t.is(new Set(pairs).size, 10);
  t.is(new Set(line.encoding.strokeDash!.scale.range.map((d) => JSON.stringify(d))).size, 4);
});

test("a text lock's report draws its task's headline metrics (validity, distinct_2) and no correctness chart", (t) => {
  const textLock = structuredClone(lock);
  for (const node of Object.values(textLock.nodes)) {
    if (node.stage !== 'eval' || !node.metrics) continue;
    const { 'samples.semantic': semantic, 'samples.syntactic': syntactic, ...rest } = node.metrics;
    node.metrics = { ...rest, 'samples.validity': semantic!, 'samples.distinct_2': syntactic! };
  }
  const charts = reportCharts(evalPoints(textLock));
  const drawn = charts.filter((c) => 'spec' in c).map((c) => c.name);
  t.true(drawn.includes('task-validity') && drawn.includes('task-distinct_2'), drawn.join(', '));
  t.false(drawn.includes('correctness'));
});
