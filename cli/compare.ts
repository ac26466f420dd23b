/**
 * Commands that read versions of the experiment rather than run it: `metrics show`, `metrics diff`,
 * `params diff` and `report`. A version is a git revision, a file, a directory holding the file, or `workdir`.
 */
import path from 'node:path';
import type { Argv } from 'yargs';
import {
  diffMetrics,
  diffParams,
  formatMetricDiff,
  formatMetricsTable,
  formatParamDiff,
  metricNames,
  evalPoints,
  metricsTable,
  parseLock,
  readParamsYaml,
  readVersion,
  WORKDIR,
  type VersionFile,
} from '../experiment/compare.ts';
import { writeReport } from '../experiment/report.ts';

/** Where the commands read from and write to; tests pass their own. */
export interface CompareIo {
  cwd?: string;
  print?: (text: string) => void;
}

const VERSION_HELP = 'a git revision, a file, a directory holding it, or "workdir" (the working tree)';

export function registerCompareCommands(cli: Argv, io: CompareIo = {}): Argv {
  const cwd = () => io.cwd ?? process.cwd();
  const print = io.print ?? ((text: string) => console.log(text));
  const read = async (spec: string, file: VersionFile) => readVersion(spec, file, cwd());
  const lockOf = async (spec: string) => {
    const version = await read(spec, 'pipeline.lock');
    return { label: version.label, lock: parseLock(version.text, `${version.label}'s pipeline.lock`) };
  };
  const paramsOf = async (spec: string) => {
    const version = await read(spec, 'params.yaml');
    return { ...version, params: readParamsYaml(version.text, `${version.label}'s params.yaml`) };
  };
  const json = (value: unknown) => print(JSON.stringify(value, null, 2));
  const versions = <T>(y: Argv<T>, file: VersionFile) =>
    y
      .positional('a', { type: 'string', default: 'HEAD', describe: `old ${file}: ${VERSION_HELP}` })
      .positional('b', { type: 'string', default: WORKDIR, describe: `new ${file}, as A` })
      .option('all', { type: 'boolean', default: false, describe: 'also list what did not change' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of a table' });

  return cli
    .command('metrics', 'Show or compare the per-generation eval metrics recorded in pipeline.lock', (y) =>
      y
        .command(
          'show',
          'Every eval node of a lock: cycle, λ, seed, generation and all its metrics',
          (z) =>
            z
              .option('lock', { type: 'string', default: 'pipeline.lock', describe: `the lock: ${VERSION_HELP}` })
              .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of a table' }),
          async (args) => {
            const { lock } = await lockOf(args.lock);
            const table = metricsTable(lock);
            if (args.json) json(table.rows.map((r) => ({ node: r.node, ...r.place, metrics: r.metrics })));
            else print(formatMetricsTable(table));
          },
        )
        .command(
          'diff [a] [b]',
          'Eval metrics of two versions of pipeline.lock, matched by node: old, new and Δ (changed values only unless --all)',
          (z) =>
            versions(z, 'pipeline.lock')
              .option('metric', { type: 'string', array: true, describe: 'only these metrics (repeatable), e.g. samples.diversity' })
              .example('$0 metrics diff HEAD~1', 'last commit before HEAD against the working tree')
              .example('$0 metrics diff HEAD~1 HEAD --metric samples.diversity', 'two commits, one metric'),
          async (args) => {
            const [a, b] = await Promise.all([lockOf(args.a), lockOf(args.b)]);
            const known = metricNames([...evalPoints(a.lock), ...evalPoints(b.lock)]);
            const unknown = (args.metric ?? []).filter((m) => !known.includes(m));
            if (unknown.length) throw new Error(`no eval metric ${unknown.join(', ')} in either lock; known: ${known.join(', ')}`);
            const rows = diffMetrics(a.lock, b.lock, { all: args.all, metrics: args.metric });
            if (args.json) json({ a: a.label, b: b.label, rows });
            else print(formatMetricDiff(rows, a.label, b.label));
          },
        )
        .demandCommand(1, 'Name a metrics command: show or diff.'),
    )
    .command('params', 'Compare versions of params.yaml', (y) =>
      y
        .command(
          'diff [a] [b]',
          'Keys of two versions of params.yaml (dotted paths) that changed, were added or removed',
          (z) => versions(z, 'params.yaml').example('$0 params diff HEAD~1', 'last commit before HEAD against the working tree'),
          async (args) => {
            const [a, b] = await Promise.all([paramsOf(args.a), paramsOf(args.b)]);
            const rows = diffParams(a.params, b.params, { all: args.all });
            if (args.json) json({ a: a.label, b: b.label, rows });
            else print(formatParamDiff(rows, a.label, b.label));
          },
        )
        .demandCommand(1, 'Name a params command: diff.'),
    )
    .command(
      'report',
      'Figures (correctness, diversity, diversity per λ, unique) as SVG and PNG, and a self-contained report.html',
      (y) =>
        y
          .option('out', { alias: 'o', type: 'string', default: 'report', describe: 'directory to write into' })
          .option('lock', { type: 'string', default: 'pipeline.lock', describe: `the lock: ${VERSION_HELP}` })
          .option('params', { alias: 'p', type: 'string', default: 'params.yaml', describe: `the params shown in the report: ${VERSION_HELP}` })
          .option('title', { type: 'string', describe: 'the report heading' }),
      async (args) => {
        const [{ lock }, params] = await Promise.all([lockOf(args.lock), read(args.params, 'params.yaml')]);
        const outDir = path.resolve(cwd(), args.out);
        const { files, omitted } = await writeReport({ lock, params: params.text, outDir, title: args.title });
        for (const file of files) print(path.relative(cwd(), file) || file);
        for (const { name, reason } of omitted) print(`(${name} not drawn: ${reason})`);
      },
    );
}
