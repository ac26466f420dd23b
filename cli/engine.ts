import type { Argv } from 'yargs';

/** Placeholder while the engine commands are written. */
export function registerEngineCommands(cli: Argv): Argv {
  return cli;
}
