/**
 * The command line. It parses arguments and hands each command to the module that owns it (cli/); it holds no
 * logic of its own. `npx tsx pipeline.ts --help` lists the commands. The cli/ modules import only what their
 * options need; each command loads its work (TensorFlow.js, Vega, the experiment graph) when it runs, so that
 * `--help` or `gen` does not wait for what `report` or `doctor` need.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { exitWithError } from './common/io-error.ts';
import { registerCompareCommands } from './cli/compare.ts';
import { registerEngineCommands } from './cli/engine.ts';
import { registerLanguageCommands } from './cli/language.ts';
import { registerModelCommands } from './cli/model.ts';

const cli = yargs(hideBin(process.argv))
  .scriptName('pipeline.ts')
  .usage('$0 <command> [options]')
  .strict()
  .demandCommand(1, 'Name a command; --help lists them.')
  .recommendCommands()
  .help()
  .alias('h', 'help')
  .wrap(Math.min(110, process.stdout.columns || 110));

registerLanguageCommands(cli);
registerEngineCommands(cli, async (opts) => (await import('./cli/experiment.ts')).loadExperimentGraph(opts));
registerModelCommands(cli);
registerCompareCommands(cli);

// A thrown error is the user's problem to fix (bad params, missing file, a full disk): one line, not a stack trace.
// yargs hands errors of async handlers to fail(); those of sync handlers escape parseAsync, hence the catch.
try {
  await cli
    .fail((message, error) => {
      if (error) exitWithError(error);
      console.error(`${message}\nRun with --help for usage.`);
      process.exit(1);
    })
    .parseAsync();
} catch (error) {
  exitWithError(error);
}
