import type { Argv } from 'yargs';

/** Placeholder while the model commands are written. */
export function registerModelCommands(cli: Argv): Argv {
  return cli;
}
