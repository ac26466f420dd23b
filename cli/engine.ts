/**
 * The engine's commands: repro, status, dag, gc, show, export, push, pull, and run-task (one task: what a Slurm job runs). The
 * experiment layer supplies the graph through a GraphLoader; these commands know nothing of what the nodes compute.
 */
import { availableParallelism } from 'node:os';
import type { Argv } from 'yargs';
import type { DagFormat } from '../engine/plan/dag.ts';
import type { NodeSpec, Plan } from '../engine/plan/graph.ts';
import type { LockParams } from '../engine/store/lock-file.ts';
import type { Stage } from '../engine/stage.ts';
import type { Store } from '../engine/store/store.ts';
import { buildExecutor, withExecutorOptions, type ExecutorArgs } from './executor.ts';

/**
 * `beforeRepro` runs before a real (not --dry) local repro, e.g. to warn that a run is too big for the backend;
 * `cheapStages` take well under a second, so `--executor slurm` runs them here rather than as jobs.
 */
export type GraphLoader = (opts: { paramsFile?: string; set: string[] }) => Promise<{
  nodes: NodeSpec[];
  lockPath?: string;
  /** Recorded in the lock: what the graph was made from. */
  params?: LockParams;
  beforeRepro?: (plan: Plan, store: Store) => Promise<void>;
  cheapStages?: readonly Stage<any>[];
}>;

/** The signals repro stops on as on Ctrl-C, and its exit status for each: 128 + the signal's number, as a shell reports it. */
const STOP_EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type StopSignal = keyof typeof STOP_EXIT;
const STOP_SIGNALS = Object.keys(STOP_EXIT) as StopSignal[];

interface CommonArgs {
  store?: string;
  params?: string;
  set?: string[];
  json?: boolean;
}

/**
 * Only repro (and run-task) create a store. The commands that read one never do: status and repro --dry read a
 * missing store as empty (and say so); gc and show want one that exists. Each command imports what it uses when
 * it runs (start-up cost stays that of yargs); see pipeline.ts.
 */
async function openStore(args: CommonArgs, use: 'run' | 'read' | 'existing'): Promise<Store> {
  const { Store, storeRoot } = await import('../engine/store/store.ts');
  const root = storeRoot(args.store);
  const store = new Store(root, { create: use === 'run' });
  if (!store.exists) {
    if (use === 'existing') throw new Error(`no store at ${root}: give --store DIR or set PIPELINE_STORE`);
    store.warn(`no store at ${root} yet: every node is missing`);
  }
  return store;
}

function showWarnings(store: Store): void {
  for (const warning of new Set(store.warnings)) console.error(`warning: ${warning}`);
}

function withCommon<T>(yargs: Argv<T>, graph: boolean) {
  const y = yargs.option('store', {
    type: 'string',
    describe: 'store directory (default $PIPELINE_STORE or ./artifacts)',
  });
  return graph
    ? y.option('params', { alias: 'p', type: 'string', describe: 'params file' }).option('set', {
        type: 'string',
        array: true,
        default: [] as string[],
        describe: 'override a param: key.path=value (repeatable)',
      })
    : y;
}

/** What a job needs to build the same graph as this command: its -p and --set. */
function graphArgs(args: CommonArgs): string[] {
  return [...(args.params ? ['-p', args.params] : []), ...(args.set ?? []).flatMap((s) => ['--set', s])];
}

export function registerEngineCommands(cli: Argv, loadGraph: GraphLoader): Argv {
  const load: Load = (args) => loadGraph({ paramsFile: args.params, set: args.set ?? [] });

  return cli
    .command(
      'repro',
      'run every node that is not cached, then write pipeline.lock',
      (y) =>
        withExecutorOptions(withCommon(y, true))
          .option('dry', { type: 'boolean', default: false, describe: 'list what would run and why; run nothing' })
          .option('force', {
            type: 'string',
            array: true,
            default: [] as string[],
            describe: 'rerun nodes whose id matches this glob, even if cached',
          })
          .option('verify', {
            type: 'boolean',
            default: false,
            describe: 're-hash the outputs of cached nodes; recompute corrupt ones',
          })
          .option('json', {
            type: 'boolean',
            default: false,
            describe: 'with --dry: the nodes that would run as JSON (an error without --dry)',
          })
          .check((args) => {
            if (args.json && !args.dry)
              throw new Error('--json only applies to --dry (repro prints a progress display, not JSON)');
            return true;
          }),
      async (args) => {
        await reproCommand(args, load);
      },
    )
    .command(
      'status',
      'every node: cached, missing (and why) or running',
      (y) => withCommon(y, true).option('json', { type: 'boolean', default: false }),
      async (args) => {
        await statusCommand(args, load);
      },
    )
    .command(
      'dag',
      'the node graph as text, DOT or Mermaid; --collapse: one line per chain',
      (y) =>
        withCommon(y, true)
          .option('dot', { type: 'boolean', describe: 'Graphviz DOT' })
          .option('mermaid', { type: 'boolean', describe: 'Mermaid flowchart' })
          .option('collapse', {
            type: 'boolean',
            default: false,
            describe: 'one vertex per chain (the nodes of one sweep point that no other shares), fits a screen',
          })
          .conflicts('dot', 'mermaid'),
      async (args) => {
        const format: DagFormat = args.dot ? 'dot' : args.mermaid ? 'mermaid' : 'text';
        const [{ renderDag, renderCollapsedDag }, { buildPlan }, { labelsOfId }] = await Promise.all([
          import('../engine/plan/dag.ts'),
          import('../engine/plan/graph.ts'),
          import('../experiment/eval-points.ts'),
        ]);
        const plan = buildPlan((await load(args)).nodes);
        process.stdout.write(
          args.collapse
            ? renderCollapsedDag(plan, format, (node) => labelsOfId(node.ids[0]!).join('/'))
            : renderDag(plan, format),
        );
      },
    )
    .command(
      'gc',
      'list (or with --force, delete) what no run record needs; a dry run by default',
      (y) =>
        withCommon(y, false)
          .option('force', { type: 'boolean', default: false, describe: 'actually delete' })
          .option('json', { type: 'boolean', default: false }),
      async (args) => {
        const [store, { gc }, { formatBytes }] = await Promise.all([
          openStore(args, 'existing'),
          import('../engine/store/gc.ts'),
          import('../engine/store/show.ts'),
        ]);
        const report = gc(store, args.force);
        if (args.json) console.log(JSON.stringify(report, null, 2));
        else {
          const kinds = [...new Set(report.items.map((i) => i.kind))];
          for (const kind of kinds) {
            const items = report.items.filter((i) => i.kind === kind);
            console.log(`${kind}s: ${items.length} (${formatBytes(items.reduce((n, i) => n + i.bytes, 0))})`);
          }
          const total = formatBytes(report.items.reduce((n, i) => n + i.bytes, 0));
          console.log(
            report.items.length === 0
              ? 'nothing to collect'
              : report.deleted
                ? `deleted ${report.items.length} files, ${total}`
                : `would delete ${report.items.length} files, ${total}; run with --force to delete`,
          );
        }
        showWarnings(store);
      },
    )
    .command(
      'run-task <task>',
      'run one task file over the store and exit 0 done, 1 failed, 75 locked by another, 130 interrupted (what a Slurm job runs)',
      (y) =>
        withCommon(y, true)
          .positional('task', {
            type: 'string',
            demandOption: true,
            describe: 'a task file written by repro --executor slurm',
          })
          .option('report', { type: 'string', describe: 'file to rewrite with progress and then the result, as JSON' }),
      async (args) => {
        const [store, { runTaskCommand }] = await Promise.all([
          openStore(args, 'run'),
          import('../engine/run/run-task.ts'),
        ]);
        process.exitCode = await runTaskCommand(args.task, (await load(args)).nodes, store, args.report);
      },
    )
    .command(
      'show <target>',
      "schema, metadata and first rows, whole, of a node's outputs (by node id in the lock) or of an object (a unique hash prefix will do)",
      (y) =>
        withCommon(y, false)
          .positional('target', {
            type: 'string',
            demandOption: true,
            describe: 'a node id (sample/cycle=balanced/seed=1/gen=5) or a hash prefix',
          })
          .option('lock', { type: 'string', default: 'pipeline.lock', describe: 'the lock naming the node' })
          .option('rows', { type: 'number', default: 10 })
          .option('json', { type: 'boolean', default: false }),
      async (args) => {
        const [store, { describeObject, formatObject }, { resolveTarget }] = await Promise.all([
          openStore(args, 'existing'),
          import('../engine/store/show.ts'),
          import('../engine/store/targets.ts'),
        ]);
        const { objects } = resolveTarget(store, args.lock, args.target);
        const byHash = Object.keys(objects).length === 1 && Object.keys(objects)[0] === Object.values(objects)[0];
        const summaries = Object.fromEntries(
          await Promise.all(
            Object.entries(objects).map(
              async ([name, hash]) => [name, await describeObject(store, hash, args.rows)] as const,
            ),
          ),
        );
        if (args.json)
          process.stdout.write(JSON.stringify(byHash ? Object.values(summaries)[0] : summaries, null, 2) + '\n');
        else
          process.stdout.write(
            Object.entries(summaries)
              .map(([name, summary]) => (byHash ? '' : `output ${name}: `) + formatObject(summary))
              .join('\n'),
          );
      },
    )
    .command(
      'export <target>',
      'write the tables of a node (by node id in the lock) or an object as CSV, JSON lines or Parquet, one file per output',
      (y) =>
        withCommon(y, false)
          .positional('target', {
            type: 'string',
            demandOption: true,
            describe: 'a node id (sample/cycle=full_synthetic/seed=1/gen=5) or a hash prefix',
          })
          .option('lock', { type: 'string', default: 'pipeline.lock', describe: 'the lock naming the node' })
          .option('format', { alias: 'f', choices: ['csv', 'jsonl', 'parquet'] as const, default: 'csv' as const })
          .option('out', {
            alias: 'o',
            type: 'string',
            default: 'export',
            describe: 'directory to write OUTPUT.FORMAT into',
          }),
      async (args) => {
        const [store, { exportTable }, { resolveTarget }, { writeAtomic }, { mkdirSync }, { join }] = await Promise.all(
          [
            openStore(args, 'existing'),
            import('../engine/store/export.ts'),
            import('../engine/store/targets.ts'),
            import('../engine/store/files.ts'),
            import('node:fs'),
            import('node:path'),
          ],
        );
        mkdirSync(args.out, { recursive: true });
        for (const [name, hash] of Object.entries(resolveTarget(store, args.lock, args.target).objects)) {
          const file = join(args.out, `${name}.${args.format}`);
          writeAtomic(file, await exportTable(await store.getObject(hash), args.format));
          console.log(file);
        }
      },
    )
    .command(
      'push <remote>',
      'copy the objects and run records a lock needs to a remote store (a directory or ssh://host/path), only what it lacks',
      (y) =>
        withRemote(y)
          .example('$0 push /mnt/share/store', 'to a mounted share')
          .example('$0 push ssh://cluster/scratch/me/store --lock presets/long.lock', 'to a cluster'),
      (args) => sync('push', args),
    )
    .command(
      'pull <remote>',
      'copy the objects and run records a lock needs from a remote store, only what this one lacks, each checked',
      (y) =>
        withRemote(y).example(
          '$0 pull ssh://cluster/scratch/me/store',
          'then report, metrics show and exp show as there',
        ),
      (args) => sync('pull', args),
    );
}

function withRemote<T>(y: Argv<T>) {
  return withCommon(y, false)
    .positional('remote', {
      type: 'string',
      demandOption: true,
      describe: 'a directory or ssh://[user@]host[:port]/path',
    })
    .option('lock', { type: 'string', default: 'pipeline.lock', describe: 'the lock whose nodes to copy' });
}

async function sync(direction: 'push' | 'pull', args: CommonArgs & { remote: string; lock: string }): Promise<void> {
  const [store, remoteModule, { parseLockFile }, { readFileSync, existsSync }] = await Promise.all([
    openStore(args, direction === 'pull' ? 'run' : 'existing'),
    import('../engine/remote/sync.ts'),
    import('../engine/store/lock-file.ts'),
    import('node:fs'),
  ]);
  if (!existsSync(args.lock)) throw new Error(`no lock at ${args.lock} (--lock FILE)`);
  const lock = parseLockFile(readFileSync(args.lock, 'utf8'), args.lock);
  const remote = await remoteModule.openRemote(args.remote, direction);
  try {
    const { copied, present } = await remoteModule[direction](store, lock, remote);
    console.log(
      `${direction === 'push' ? 'pushed' : 'pulled'} ${copied} file(s), ${present} already there (${args.lock}, ${remote.name})`,
    );
  } finally {
    await remote.close();
  }
}

type Load = (args: CommonArgs) => ReturnType<GraphLoader>;
type ReproArgs = ExecutorArgs & CommonArgs & { dry: boolean; force: string[]; verify: boolean; progressEvery: number };

/** `repro`: the dry run's list and estimate, or the run itself, stopped cleanly by a first signal. */
async function reproCommand(args: ReproArgs, load: Load): Promise<void> {
  const [store, { buildPlan }, { dryRun, forceMatcher, repro }, eta, { fmt }] = await Promise.all([
    openStore(args, args.dry ? 'read' : 'run'),
    import('../engine/plan/graph.ts'),
    import('../engine/run/repro.ts'),
    import('../engine/run/eta.ts'),
    import('../engine/run/progress.ts'),
  ]);
  // Workers running nodes at once: the local pool's jobs, or the Slurm jobs allowed in flight.
  const workers = args.executor === 'local' ? (args.jobs ?? availableParallelism()) : args.maxJobs;
  const { nodes, lockPath, params, beforeRepro, cheapStages = [] } = await load(args);
  const plan = buildPlan(nodes);
  if (args.dry) {
    const todo = dryRun(plan, store, args.force);
    if (args.json)
      console.log(
        JSON.stringify(
          todo.map((s) => ({ ids: s.node.ids, stage: s.node.stage.name, key: s.key ?? null, reason: s.reason })),
          null,
          2,
        ),
      );
    else {
      for (const s of todo)
        console.log(
          `would run  ${s.node.ids[0]}${s.node.ids.length > 1 ? ` (+${s.node.ids.length - 1} shared)` : ''}  — ${s.reason}`,
        );
      const left = eta.remainingSeconds(
        plan,
        eta.expectedSeconds(plan, store.listRuns().records),
        new Set(todo.map((s) => s.node.sid)),
        workers,
      );
      console.log(
        todo.length
          ? `${todo.length} of ${plan.nodes.length} nodes would run, ${eta.formatRemaining(left, workers, fmt)}`
          : 'nothing to do',
      );
    }
    showWarnings(store);
    return;
  }
  // It judges this machine's backend, which a Slurm run's jobs do not use.
  if (args.executor === 'local') await beforeRepro?.(plan, store);
  // The first Ctrl-C, SIGTERM (kill, a supervisor) or SIGHUP (a closed terminal): stop cleanly (stages aborted,
  // workers killed after a grace period) and write the lock of what finished; a second one: now.
  const controller = new AbortController();
  let stoppedBy: StopSignal | undefined;
  const onSignal = (signal: StopSignal) => {
    // The locks belong to the worker processes, which release them as they exit.
    if (stoppedBy) process.exit(STOP_EXIT[stoppedBy]);
    stoppedBy = signal;
    console.error(
      `\n${signal === 'SIGINT' ? 'interrupted' : `stopped by ${signal}`}: stopping running stages (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to quit now)`,
    );
    controller.abort();
  };
  const executor = await buildExecutor(args, {
    store,
    plan,
    force: forceMatcher(args.force),
    verify: args.verify,
    signal: controller.signal,
    cheapStages,
    graphArgs: graphArgs(args),
  });
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  try {
    const result = await repro(plan, {
      executor,
      store,
      lockPath,
      params,
      progressEveryMs: args.progressEvery * 1000,
      workers,
    });
    process.exitCode = stoppedBy ? STOP_EXIT[stoppedBy] : result.exitCode;
  } finally {
    showWarnings(store);
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  }
}

/** `status`: each node's state and why, then the counts and the kernel sets the cached model nodes ran on. */
async function statusCommand(args: CommonArgs, load: Load): Promise<void> {
  const [store, { buildPlan }, { assess }, { slurmNotes }] = await Promise.all([
    openStore(args, 'read'),
    import('../engine/plan/graph.ts'),
    import('../engine/plan/status.ts'),
    import('../engine/transports/slurm.ts'),
  ]);
  const states = assess(buildPlan((await load(args)).nodes), store);
  // Nodes with a Slurm job: its id and state (pending, running) from squeue.
  const slurm = slurmNotes(
    store,
    states.flatMap((s) => (s.key && s.state !== 'cached' ? [s.key] : [])),
  );
  const reason = (s: (typeof states)[number]) =>
    [s.reason, s.key && slurm.get(s.key)].filter(Boolean).join('; ') || null;
  if (args.json) {
    console.log(
      JSON.stringify(
        states.map((s) => ({
          ids: s.node.ids,
          stage: s.node.stage.name,
          state: s.state,
          key: s.key ?? null,
          reason: reason(s),
          kernels: s.record?.metrics.kernels ?? null,
        })),
        null,
        2,
      ),
    );
  } else {
    for (const s of states) {
      const shared = s.node.ids.length > 1 ? ` (+${s.node.ids.length - 1} shared)` : '';
      const why = reason(s);
      console.log(`${s.state.padEnd(8)} ${s.node.ids[0]}${shared}${why ? `  — ${why}` : ''}`);
    }
    const count = (state: string) => states.filter((s) => s.state === state).length;
    console.log(
      `${states.length} nodes: ${count('cached')} cached, ${count('missing')} missing, ${count('running')} running`,
    );
    // The kernel set each cached model node ran on (the `kernels` metric of stages/backend.ts).
    const kernelSets = new Map<string, number>();
    for (const s of states)
      if (s.record?.metrics.kernels !== undefined)
        kernelSets.set(String(s.record.metrics.kernels), (kernelSets.get(String(s.record.metrics.kernels)) ?? 0) + 1);
    for (const [set, n] of kernelSets) console.log(`ran on ${set}: ${n} node${n === 1 ? '' : 's'}`);
  }
  showWarnings(store);
}
