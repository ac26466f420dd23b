/**
 * `repro --executor local|slurm` and the flags of each: the executor a repro is given, built from the command line.
 */
import { relative } from 'node:path';
import type { Argv } from 'yargs';
import type { Executor } from '../engine/run/executor.ts';
import type { Plan, PlanNode } from '../engine/plan/graph.ts';
import type { SlurmFlags } from '../engine/transports/slurm-config.ts';
import { SLURM_RESOURCE_NAMES, SLURM_RESOURCES, slurmFlag } from '../engine/transports/slurm-resources.ts';
import type { Stage } from '../engine/stage.ts';
import type { Store } from '../engine/store/store.ts';

/** A positive integer as typed, so the error can quote it (yargs would turn 'abc' into NaN). */
function positiveInteger(flag: string, zero = false) {
  return (value: string): number => {
    if (!(zero ? /^\d+$/ : /^[1-9]\d*$/).test(String(value).trim()))
      throw new Error(`--${flag} wants a ${zero ? 'whole number' : 'positive integer'}, got '${value}'`);
    return Number(value);
  };
}

function positiveSeconds(value: string): number {
  const seconds = Number(value);
  if (!(seconds > 0) || !Number.isFinite(seconds))
    throw new Error(`--progress-every wants a positive number of seconds, got '${value}'`);
  return seconds;
}

export function withExecutorOptions<T>(yargs: Argv<T>) {
  let y = yargs
    .option('executor', {
      choices: ['local', 'slurm'] as const,
      default: 'local' as const,
      describe: 'run nodes in worker processes here, or as Slurm jobs over a shared store',
    })
    .option('jobs', {
      alias: 'j',
      type: 'string',
      coerce: positiveInteger('jobs'),
      describe:
        'worker processes, a positive integer (default: number of cores); with slurm, for the stages it keeps local',
    })
    .option('progress-every', {
      type: 'string',
      coerce: positiveSeconds,
      default: '30',
      describe: 'without a terminal: seconds between the progress lines of a running node',
    })
    .option('max-jobs', {
      type: 'string',
      coerce: positiveInteger('max-jobs'),
      default: '64',
      describe: 'slurm: at most this many jobs submitted at once',
    })
    .option('retries', {
      type: 'string',
      coerce: positiveInteger('retries', true),
      default: '2',
      describe: 'slurm: resubmissions of a job Slurm ended (time limit, preemption, scancel)',
    })
    .option('slurm-config', {
      type: 'string',
      describe: 'slurm: YAML file of resources per stage (local, default, stages)',
    })
    .option('slurm-local', {
      type: 'string',
      describe: 'slurm: comma-separated stages run here instead of as jobs (default: the cheap ones)',
    });
  for (const name of SLURM_RESOURCE_NAMES) {
    const describe =
      SLURM_RESOURCES[name].kind === 'options'
        ? `slurm: ${name} sbatch options, OPTS or stage=OPTS (repeatable)`
        : `slurm: ${name}, VALUE or stage=VALUE,stage=VALUE`;
    y = y.option(slurmFlag(name), { type: 'string', array: true, describe }) as typeof y;
  }
  return y;
}

export interface ExecutorArgs {
  executor: 'local' | 'slurm';
  jobs?: number;
  maxJobs: number;
  retries: number;
  slurmConfig?: string;
  slurmLocal?: string;
  [flag: `slurm${string}`]: unknown;
}

export interface ExecutorContext {
  store: Store;
  plan: Plan;
  force: (node: PlanNode) => boolean;
  verify: boolean;
  signal: AbortSignal;
  /** Stages too cheap for a job of their own (the graph loader says which). */
  cheapStages: readonly Stage<any>[];
  /** The graph arguments a job needs to build the same graph: -p, --set. */
  graphArgs: string[];
}

/** The engine's modules load here, when repro runs, not when the CLI starts. */
export async function buildExecutor(args: ExecutorArgs, ctx: ExecutorContext): Promise<Executor> {
  const common = { store: ctx.store, force: ctx.force, verify: ctx.verify, signal: ctx.signal };
  const { LocalExecutor, LocalPool } = await import('../engine/transports/local.ts');
  if (args.executor === 'local') return new LocalExecutor({ ...common, jobs: args.jobs });
  const [{ Scheduler }, { loadSlurmConfig }, { SlurmTransport }] = await Promise.all([
    import('../engine/run/executor.ts'),
    import('../engine/transports/slurm-config.ts'),
    import('../engine/transports/slurm.ts'),
  ]);
  const flags: SlurmFlags = { local: args.slurmLocal };
  for (const name of SLURM_RESOURCE_NAMES) flags[name] = args[slurmFlag(name)] as string[] | undefined;
  const stageNames = [...new Set(ctx.plan.nodes.map((n) => n.stage.name))];
  // The Slurm config (its YAML file, --slurm-local) names stages.
  const cheap = ctx.cheapStages.map((s) => s.name).filter((s) => stageNames.includes(s));
  const config = loadSlurmConfig(args.slurmConfig, flags, cheap, stageNames);
  // The job runs this same CLI (node, its loader flags, the script) from the same directory, over the same store.
  // The task file first: --set takes every value that follows it.
  const cli = [process.execPath, ...process.execArgv, relative(process.cwd(), process.argv[1]), 'run-task'];
  const command = (taskFile: string, reportFile: string) => [
    ...cli,
    taskFile,
    '--report',
    reportFile,
    '--store',
    ctx.store.root,
    ...ctx.graphArgs,
  ];
  const transport = new SlurmTransport({
    store: ctx.store,
    config,
    maxJobs: args.maxJobs,
    retries: args.retries,
    command,
    local: new LocalPool({ store: ctx.store, jobs: args.jobs }),
    pollMs: Number(process.env.PIPELINE_SLURM_POLL_MS ?? 500),
  });
  return new Scheduler({ ...common, transport });
}
