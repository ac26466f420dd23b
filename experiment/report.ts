/**
 * The run's report: each chart of report-charts.ts as SVG (Vega-Lite rendered in Node) and PNG (resvg), and a
 * self-contained report.html with the SVGs inlined, the table "paper vs this run", the params the lock records, the training
 * backends, each series' samples and the metrics of its last generation (mean and 95% t-interval over seeds).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { writeAtomic } from '../engine/store/files.ts';
import path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { stringify as toYaml } from 'yaml';
import { noParams, type LockFile } from '../engine/store/lock-file.ts';
import trainStage from '../stages/train.ts';
import { defaultMetrics, evalPoints, metricNames, NOT_RUN, withoutEval, type EvalPoint } from './eval-points.ts';
import { paperTable } from './paper.ts';
import {
  reportCharts,
  sampleShapesChart,
  seriesLabel,
  seriesOf,
  trainingCurvesChart,
  type Chart,
} from './report-charts.ts';
import type { Samples } from './report-samples.ts';
import type { OverlayPart } from './overlay.ts';
import { INTERVAL_NAME, seedStat } from './seeds.ts';
import { shortName } from './metrics-show.ts';
import { formatValue } from './text-table.ts';
import type { Curves } from './train-curves.ts';
import { chanceOfTrue } from './chance.ts';

// D_0's depths when a lock records no params (a version 1 lock): those of the shipped params.yaml.
const DEFAULT_DEPTHS = [1, 5] as const;

export interface ReportInput {
  lock: LockFile;
  /** Names the lock in notes. */
  label: string;
  outDir: string;
  title?: string;
  /** The validation-loss curves of one chain, or why there are none. */
  curves?: Curves;
  /** The samples of each series at chosen generations, or why there are none. */
  samples?: Samples;
  /** When `lock` overlays several locks (experiment/overlay.ts): each, with the tags that tell it apart. */
  overlaid?: OverlayPart[];
  /** When the report is made; now by default. */
  date?: Date;
}

export interface ReportOutput {
  /** Paths written, report.html last. */
  files: string[];
  /** Charts left out, and why. */
  omitted: { name: string; reason: string }[];
}

async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

// Vega writes font-family "sans-serif"; resvg needs a real font behind that name to draw any text.
const FONT_CANDIDATES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf',
];

function fontOptions() {
  const file = FONT_CANDIDATES.find((f) => existsSync(f));
  return file
    ? { loadSystemFonts: true, fontFiles: [file], defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' }
    : { loadSystemFonts: true };
}

function svgToPng(svg: string): Buffer {
  return new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: 2 }, font: fontOptions() })
    .render()
    .asPng();
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function htmlTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const tr = (cells: readonly string[], tag: 'th' | 'td') =>
    `<tr>${cells.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('')}</tr>`;
  return `<table><thead>${tr(header, 'th')}</thead><tbody>${rows.map((r) => tr(r, 'td')).join('\n')}</tbody></table>`;
}

/** "wasm (21 trainings)" per backend recorded by the lock's train nodes; a shared node counts once (by key). */
function backends(lock: LockFile): string {
  const byKey = new Map<string, string>();
  for (const node of Object.values(lock.nodes)) {
    if (node.stage === trainStage.name && node.metrics.backend !== undefined)
      byKey.set(node.key, String(node.metrics.backend));
  }
  const counts = new Map<string, number>();
  for (const name of byKey.values()) counts.set(name, (counts.get(name) ?? 0) + 1);
  if (counts.size === 0) return 'no train node in the lock records a backend';
  return [...counts].map(([name, n]) => `${name} (${n} training${n === 1 ? '' : 's'})`).join(', ');
}

function spread(values: readonly number[]): string {
  const { mean, ci95 } = seedStat(values);
  return ci95 ? `${formatValue(mean)} (${formatValue(ci95.low)}–${formatValue(ci95.high)})` : formatValue(mean);
}

/**
 * Per series, the last generation any of its seeds reached: each headline metric's mean over seeds (with its 95%
 * t-interval when there are several), under its short name, so that the table fits the page; and, only when some
 * series lacks them, the seed × generation pairs of the lock's grid it has not run.
 */
export function finalTable(points: readonly EvalPoint[]): { header: string[]; rows: string[][] } {
  const recorded = metricNames(points);
  // Only what the lock recorded: a table column of n/a says nothing.
  const metrics = defaultMetrics(recorded).filter((m) => recorded.includes(m));
  const generations = [...new Set(points.map((p) => p.place.generation ?? 0))].sort((a, b) => a - b);
  const rows = seriesOf(points).map((series) => {
    const own = points.filter((p) => seriesLabel(p.place) === series.label);
    const seeds = [...new Set(own.map((p) => p.place.seed))];
    const last = Math.max(...own.map((p) => p.place.generation ?? 0));
    const final = own.filter((p) => (p.place.generation ?? 0) === last);
    const missing = seeds.flatMap((seed) =>
      generations
        .filter((g) => !own.some((p) => p.place.seed === seed && (p.place.generation ?? 0) === g))
        .map((g) => `seed ${formatValue(seed)} gen ${g}`),
    );
    return {
      cells: [
        series.label,
        String(last),
        String(final.length),
        ...metrics.map((m) => {
          const values = final.map((p) => p.metrics[m]).filter((v): v is number => typeof v === 'number');
          return values.length ? spread(values) : '';
        }),
      ],
      missing: missing.length > 6 ? `${missing.slice(0, 6).join(', ')}, … (${missing.length})` : missing.join(', '),
    };
  });
  const gaps = rows.some((r) => r.missing);
  return {
    header: ['series', 'generation', 'seeds', ...metrics.map(shortName), ...(gaps ? [NOT_RUN] : [])],
    rows: rows.map((r) => [...r.cells, ...(gaps ? [r.missing] : [])]),
  };
}

/** Per series and generation: the most frequent samples with their counts, and a few drawn at random. */
function samplesSection(samples: Samples | undefined): string {
  if (!samples) return '';
  if ('missing' in samples) return `<h2>Samples</h2><p class="note">Not shown: ${escapeHtml(samples.missing)}.</p>`;
  const views = samples.views.map(
    (
      v,
    ) => `<h3>${escapeHtml(v.series)}, S_${v.generation} (${escapeHtml(v.chain)}): ${v.rows} rows, ${v.unique} distinct</h3>
${htmlTable(
  ['most frequent', 'count'],
  v.top.map((t) => [t.expression, String(t.count)]),
)}
<p>Drawn at random:</p><ul>${v.random.map((e) => `<li><code>${escapeHtml(e)}</code></li>`).join('')}</ul>`,
  );
  return `<h2>Samples</h2>\n${views.join('\n')}`;
}

/** The params the lock records: file, overrides, each chain's swept keys, and the whole resolved params. */
function paramsSection(lock: LockFile, label: string): string {
  const recorded = lock.params;
  if (!recorded) return `<p class="note">${escapeHtml(noParams(lock, label))}.</p>`;
  const overrides = recorded.overrides.length ? recorded.overrides.map((o) => `--set ${o}`).join(' ') : 'none';
  const chains = Object.entries(recorded.chains).map(([name, keys]) => [
    name,
    Object.entries(keys)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(', '),
  ]);
  return `<p>As recorded in the lock: made from ${escapeHtml(recorded.source)}, overrides: <code>${escapeHtml(overrides)}</code>.</p>
${htmlTable(['chain', 'swept keys'], chains)}
<pre>${escapeHtml(toYaml(recorded.resolved))}</pre>`;
}

/** Each overlaid lock: what its series are labelled by, then its params. */
function overlaidParams(parts: readonly OverlayPart[]): string {
  return parts
    .map(
      (p) => `<h3>${escapeHtml(p.label)}: series labelled ${escapeHtml(
        Object.entries(p.tags)
          .map(([k, v]) => `${k}=${v}`)
          .join(' '),
      )}</h3>
${paramsSection(p.lock, p.label)}`,
    )
    .join('\n');
}

const STYLE = `body{font-family:sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}
table{border-collapse:collapse;font-size:12px}th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}
th:first-child,td:first-child{text-align:left}pre{background:#f6f6f6;padding:1em;overflow:auto}
figure{margin:1.5em 0}svg{max-width:100%;height:auto}.note{color:#a55}`;

/** Writes the charts (SVG and PNG) and report.html into outDir; returns the paths written. */
export async function writeReport(input: ReportInput): Promise<ReportOutput> {
  const { lock, outDir } = input;
  const title = input.title ?? 'Self-consuming training loop: report';
  const points = evalPoints(lock);
  const curves = input.curves;
  const curveChart: Chart[] = !curves
    ? []
    : 'missing' in curves
      ? [{ name: 'training-curves', title: 'Training curves', omitted: curves.missing }]
      : [{ name: 'training-curves', title: 'Training curves', spec: trainingCurvesChart(curves.chain, curves.points) }];
  const samples = input.samples;
  const shapesTitle = 'Length and depth of S_t against D_0';
  const shapeChart: Chart[] = !samples
    ? []
    : 'missing' in samples
      ? [{ name: 'sample-shapes', title: shapesTitle, omitted: samples.missing }]
      : [{ name: 'sample-shapes', title: shapesTitle, spec: sampleShapesChart(samples.shapes) }];
  const data = lock.params?.resolved.data as { depth_min?: number; depth_max?: number } | undefined;
  const chance = chanceOfTrue(data?.depth_min ?? DEFAULT_DEPTHS[0], data?.depth_max ?? DEFAULT_DEPTHS[1]);
  const charts = [...reportCharts(points, chance), ...curveChart, ...shapeChart];
  await mkdir(outDir, { recursive: true });

  const files: string[] = [];
  const figures: string[] = [];
  const omitted: ReportOutput['omitted'] = [];
  for (const chart of charts) {
    if (!chart.spec) {
      omitted.push({ name: chart.name, reason: chart.omitted! });
      figures.push(`<h2>${escapeHtml(chart.title)}</h2><p class="note">Not drawn: ${escapeHtml(chart.omitted!)}.</p>`);
      continue;
    }
    const svg = await renderSvg(chart.spec);
    const svgPath = path.join(outDir, `${chart.name}.svg`);
    const pngPath = path.join(outDir, `${chart.name}.png`);
    // Whole files or none: a report is read while a later one may be written.
    writeAtomic(svgPath, Buffer.from(svg));
    writeAtomic(pngPath, svgToPng(svg));
    files.push(svgPath, pngPath);
    figures.push(
      `<h2>${escapeHtml(chart.title)}</h2><figure>${svg}${chart.caption ? `<figcaption>${escapeHtml(chart.caption)}</figcaption>` : ''}</figure>`,
    );
  }

  const final = finalTable(points);
  const paper = paperTable(lock);
  const seeds = new Set(points.map((p) => p.place.seed)).size;
  const html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>Made ${escapeHtml((input.date ?? new Date()).toISOString())} from ${Object.keys(lock.nodes).length} lock nodes:
${new Set(points.map((p) => p.node)).size} eval nodes in ${seriesOf(points).length} series, ${seeds} seed(s).</p>
<p>Backend: ${escapeHtml(backends(lock))}.</p>
<h2>Paper vs this run</h2>
<p>The paper's figures as docs/EXPERIMENT.md §6 quotes them; this run's from the lock. With several seeds: mean ± half-width of
the ${INTERVAL_NAME}. Diversity loss is 1 − diversity(S_t) / diversity(D_0).</p>
${htmlTable(paper.header, paper.rows)}
${figures.join('\n')}
${samplesSection(samples)}
<h2>Last generation per series</h2>
${points.length ? `<p>With several seeds: mean (${INTERVAL_NAME}).</p>\n${htmlTable(final.header, final.rows)}` : `<p class="note">${escapeHtml(withoutEval(lock, 'the lock'))}</p>`}
<h2>Params</h2>
${input.overlaid ? overlaidParams(input.overlaid) : paramsSection(lock, input.label)}
</body></html>
`;
  const htmlPath = path.join(outDir, 'report.html');
  writeAtomic(htmlPath, Buffer.from(html));
  files.push(htmlPath);
  return { files, omitted };
}
