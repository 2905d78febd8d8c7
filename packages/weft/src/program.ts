import { Command } from 'commander';
import { registerFlow } from './commands/flow.js';
import { VERSION } from './version.js';

/** Builds the `weft` command-line program. */
export function buildProgram(): Command {
  const program = new Command('weft')
    .description(
      "Serve data and ML pipelines as microservices: Executors, Flows and a Gateway speaking Jina 3's wire format.",
    )
    .version(VERSION, '-v, --version', 'print the version of weft')
    .showHelpAfterError('(run with --help for usage)');

  // One line per command; each lives in src/commands/<name>.ts.
  registerFlow(program);

  return program;
}
