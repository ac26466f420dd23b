import type { Argv } from 'yargs';

/** Placeholder while the language commands are written. */
export function registerLanguageCommands(cli: Argv): Argv {
  return cli;
}
