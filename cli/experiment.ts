import type { Argv } from 'yargs';

/** Placeholder while the experiment commands are written. */
export function registerExperimentCommands(cli: Argv): Argv {
  return cli;
}
