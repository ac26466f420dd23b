/**
 * Commands that read versions of the experiment rather than run it: `metrics show`, `metrics change`, `metrics diff`,
 * `params diff` and `report`. A version is a git revision, a file, a directory holding the file, or `workdir`.
 */
import path from 'node:path';
import type { Argv } from 'yargs';
import type { LockFile } from '../engine/store/lock-file.ts';
import { lockSpecs, readVersion, WORKDIR } from '../experiment/versions.ts';
import { formatOf, metricChoice, tableFormats } from './options.ts';

/** Where the commands read from and write to; tests pass their own. */
export interface CompareIo {
  cwd?: string;
  print?: (text: string) => void;
}

const VERSION_HELP = 'a git revision, a file, a directory holding it, or "workdir" (the working tree)';

export function registerCompareCommands(cli: Argv, io: CompareIo = {}): Argv {
  const cwd = () => io.cwd ?? process.cwd();
  const print = io.print ?? ((text: string) => console.log(text));
  // What the commands use (zod, yaml; Vega for report) loads when a command runs, not when the CLI starts.
  const lockOf = async (spec: string) => {
    const [version, { parseLockFile }] = await Promise.all([
      readVersion(spec, cwd()),
      import('../engine/store/lock-file.ts'),
    ]);
    return { label: version.label, lock: parseLockFile(version.text, `${version.label}'s pipeline.lock`) };
  };
  // The params a lock records, as `params diff` compares them; a lock without them is an error that says so.
  const paramsOf = async (version: { label: string; lock: LockFile }) => {
    const [{ lockParams }, { comparableParams }] = await Promise.all([
      import('../engine/store/lock-file.ts'),
      import('../experiment/provenance.ts'),
    ]);
    return comparableParams(lockParams(version.lock, `${version.label}'s pipeline.lock`));
  };
  const json = (value: unknown) => print(JSON.stringify(value, null, 2));
  const versions = <T>(y: Argv<T>) =>
    y
      .positional('a', { type: 'string', default: 'HEAD', describe: `old pipeline.lock: ${VERSION_HELP}` })
      .positional('b', { type: 'string', default: WORKDIR, describe: 'new pipeline.lock, as A' })
      .option('unchanged', { type: 'boolean', default: false, describe: 'also list what did not change' });

  return cli
    .command('metrics', 'Show or compare the per-generation eval metrics recorded in pipeline.lock', (y) =>
      y
        .command(
          'show',
          'The eval metrics of a lock per cycle, λ and generation: the mean over seeds with its 95% t-interval',
          (z) =>
            metricChoice(
              tableFormats(
                z,
                'every metric (unless --metric) with mean, interval, seeds and values',
                'every metric (unless --metric); mean and interval columns',
              ),
            )
              .option('lock', { type: 'string', default: 'pipeline.lock', describe: `the lock: ${VERSION_HELP}` })
              .option('per-seed', {
                type: 'boolean',
                default: false,
                describe: 'one row per seed instead of the mean over seeds',
              })
              .example('$0 metrics show --metric diversity --metric unique', 'two metrics')
              .example('$0 metrics show --csv > metrics.csv', 'for a spreadsheet or pandas'),
          async (args) => {
            const [{ label, lock }, { showMetrics }] = await Promise.all([
              lockOf(args.lock),
              import('../experiment/metrics-show.ts'),
            ]);
            print(
              showMetrics(lock, {
                format: formatOf(args),
                metrics: args.metric,
                all: args.all,
                perSeed: args['per-seed'],
                label: `${label}'s pipeline.lock`,
              }),
            );
          },
        )
        .command(
          'change',
          'Per series, each metric at its first and last generation and the change: the mean over seeds of last − first with its 95% t-interval',
          (z) =>
            metricChoice(
              tableFormats(
                z,
                'per series and metric: first, last and the change, each with mean, interval, seeds and values',
                'per series: first, last, delta and its interval, and seeds used, per metric',
              ),
            )
              .option('lock', { type: 'string', default: 'pipeline.lock', describe: `the lock: ${VERSION_HELP}` })
              .example('$0 metrics change --metric semantic', 'does correctness rise along each series?')
              .example('$0 metrics change --lock presets/settings.lock --md', 'a sweep, as Markdown'),
          async (args) => {
            const [{ label, lock }, { metricsChange }] = await Promise.all([
              lockOf(args.lock),
              import('../experiment/metrics-change.ts'),
            ]);
            print(
              metricsChange(lock, {
                format: formatOf(args),
                metrics: args.metric,
                all: args.all,
                label: `${label}'s pipeline.lock`,
              }),
            );
          },
        )
        .command(
          'diff [a] [b]',
          'Eval metrics of two versions of pipeline.lock, matched by chain and generation: old, new and Δ (changed values only unless --unchanged)',
          (z) =>
            metricChoice(
              tableFormats(
                versions(z),
                'params, rows and seed means of every metric (unless --metric)',
                'one row per point and metric: old, new, delta',
              ),
            )
              .example('$0 metrics diff HEAD~1', 'last commit before HEAD against the working tree')
              .example('$0 metrics diff HEAD~1 HEAD --metric diversity --md', 'two commits, one metric, as Markdown'),
          async (args) => {
            const [a, b, { metricsDiff, diffParams }] = await Promise.all([
              lockOf(args.a),
              lockOf(args.b),
              import('../experiment/compare.ts'),
            ]);
            // The params the two locks record, so that a change of metrics is read beside what made it.
            const params = await Promise.all([paramsOf(a), paramsOf(b)]).then(
              ([pa, pb]) => diffParams(pa, pb),
              (error: Error) => error.message,
            );
            print(
              metricsDiff(a, b, params, {
                format: formatOf(args),
                metrics: args.metric,
                all: args.all,
                unchanged: args.unchanged,
              }),
            );
          },
        )
        .demandCommand(1, 'Name a metrics command: show, change or diff.'),
    )
    .command('params', 'Compare the params two locks were made with', (y) =>
      y
        .command(
          'diff [a] [b]',
          'Params (dotted keys, and the --set overrides) recorded in two versions of pipeline.lock that changed, were added or removed',
          (z) =>
            versions(z)
              .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of a table' })
              .example('$0 params diff HEAD~1', 'last commit before HEAD against the working tree')
              .example('$0 params diff runs/a.lock runs/b.lock', 'two locks'),
          async (args) => {
            const [a, b] = await Promise.all([lockOf(args.a), lockOf(args.b)]);
            const [pa, pb, { diffParams, formatParamDiff }] = await Promise.all([
              paramsOf(a),
              paramsOf(b),
              import('../experiment/compare.ts'),
            ]);
            const rows = diffParams(pa, pb, { all: args.unchanged });
            if (args.json) json({ a: a.label, b: b.label, rows });
            else print(formatParamDiff(rows, a.label, b.label));
          },
        )
        .demandCommand(1, 'Name a params command: diff.'),
    )
    .command('exp', 'Runs side by side', (y) =>
      y
        .command(
          'show [locks..]',
          'One row per lock and series (or chain): the params that differ between them and the headline metrics at the last generation',
          (z) =>
            metricChoice(
              tableFormats(
                z,
                'rows with params, and each metric with mean, interval and values',
                'mean and interval columns per metric',
              ),
            )
              .positional('locks', {
                type: 'string',
                array: true,
                default: [] as string[],
                describe: `locks (${VERSION_HELP}; a * in the file name matches); default: the locks committed to git`,
              })
              .option('chains', {
                type: 'boolean',
                default: false,
                describe: 'one row per chain (each seed its own row)',
              })
              .option('sort', {
                type: 'string',
                describe: 'sort by this column: lock, series, gen, a param key or a metric',
              })
              .option('desc', { type: 'boolean', default: false, describe: 'with --sort: largest first' })
              .example('$0 exp show', 'the committed locks')
              .example(
                "$0 exp show 'runs/*.lock' --chains --sort diversity --desc",
                'every chain of some locks, most diverse first',
              ),
          async (args) => {
            const specs = await lockSpecs(args.locks, cwd());
            const [locks, { expTable, formatExp }] = await Promise.all([
              Promise.all(specs.map(lockOf)),
              import('../experiment/exp-show.ts'),
            ]);
            const format = formatOf(args);
            print(
              formatExp(
                expTable(locks, {
                  chains: args.chains,
                  sort: args.sort,
                  desc: args.desc,
                  format,
                  metrics: args.metric,
                  all: args.all,
                }),
                format,
              ),
            );
          },
        )
        .demandCommand(1, 'Name an exp command: show.'),
    )
    .command(
      'report',
      'Figures (correctness, diversity, diversity per λ, unique, and with several seeds the change from first to last generation) as SVG and PNG, and a self-contained report.html',
      (y) =>
        y
          .option('out', { alias: 'o', type: 'string', default: 'report', describe: 'directory to write into' })
          .option('lock', {
            type: 'string',
            array: true,
            default: ['pipeline.lock'],
            describe: `the lock (${VERSION_HELP}); several: their series overlaid, labelled by the params that differ`,
          })
          .option('title', { type: 'string', describe: 'the report heading' })
          .option('chain', {
            type: 'string',
            describe:
              'whose training curves to draw, as tags: cycle=balanced,seed=2 (default: the full-synthetic chain)',
          })
          .option('store', {
            type: 'string',
            describe: 'the store holding the training logs and samples (default $PIPELINE_STORE or ./artifacts)',
          })
          .option('sample-generations', {
            type: 'string',
            describe: 'whose samples to show, e.g. 0,5 (default: 0 and the last)',
          }),
      (args) => reportCommand(args, { cwd: cwd(), print, lockOf }),
    );
}

interface ReportArgs {
  out: string;
  lock: string[];
  title?: string;
  chain?: string;
  store?: string;
  'sample-generations'?: string;
}
type LockOf = (spec: string) => Promise<{ label: string; lock: LockFile }>;

/** `report`: the locks (several overlaid), the training curves and samples from the store, written to --out. */
async function reportCommand(
  args: ReportArgs,
  { cwd: dir, print, lockOf }: { cwd: string; print: (text: string) => void; lockOf: LockOf },
): Promise<void> {
  const [
    named,
    { writeReport },
    { loadTrainingCurves, parseChain },
    { Store, storeRoot },
    { loadSamples },
    { overlayLocks },
  ] = await Promise.all([
    Promise.all(args.lock.map(lockOf)),
    import('../experiment/report.ts'),
    import('../experiment/train-curves.ts'),
    import('../engine/store/store.ts'),
    import('../experiment/report-samples.ts'),
    import('../experiment/overlay.ts'),
  ]);
  const overlay = named.length > 1 ? overlayLocks(named) : undefined;
  const lock = overlay?.lock ?? named[0]!.lock;
  const label = named.map((n) => n.label).join(' + ');
  const wanted = parseChain(args.chain ?? '');
  const generations = args['sample-generations']?.split(',').map((g) => {
    if (!/^\s*\d+\s*$/.test(g))
      throw new Error(`--sample-generations ${args['sample-generations']}: expected generations as numbers, e.g. 0,5`);
    return Number(g);
  });
  // storeRoot resolves against the process's directory; the commands work in the command's directory (the same, but in tests).
  const root = path.resolve(dir, path.relative(process.cwd(), storeRoot(args.store)));
  // A report reads the store, so it must not create one.
  const store = new Store(root, { create: false });
  const curves = store.exists
    ? await loadTrainingCurves(lock, store, wanted)
    : { chain: args.chain ?? '(first)', missing: `no store at ${root} to read the training logs from (--store)` };
  const samples = store.exists
    ? await loadSamples(lock, store, generations)
    : { missing: `no store at ${root} to read the samples from (--store)` };
  const outDir = path.resolve(dir, args.out);
  const { files, omitted } = await writeReport({
    lock,
    label: `${label}'s pipeline.lock`,
    outDir,
    title: args.title,
    curves,
    samples,
    overlaid: overlay?.parts,
  });
  for (const file of files) print(path.relative(dir, file) || file);
  for (const { name, reason } of omitted) print(`(${name} not drawn: ${reason})`);
}
