import { Command, Option } from 'commander';
import { registerClient } from './commands/client.js';
import { registerExecutorCommand } from './commands/executor.js';
import { registerExport } from './commands/export.js';
import { registerDeployment, registerFlow } from './commands/flow.js';
import { registerHead } from './commands/head.js';
import { registerNew } from './commands/new.js';
import { registerGatewayCommand } from './commands/gateway.js';
import { registerPingCommand } from './commands/ping.js';
import { VERSION } from './version.js';

/** Environment variable every Weft runtime reads its log level from. */
export const LOG_LEVEL_ENV = 'WEFT_LOG_LEVEL';

/** Builds the `weft` command-line program. */
export function buildProgram(): Command {
  const program = new Command('weft')
    .description(
      "Serve data and ML pipelines as microservices: Executors, Flows and a Gateway speaking Jina 3's wire format.",
    )
    .version(VERSION, '-v, --version', 'print the version of weft')
    .addOption(
      new Option('--log-level <level>', `log level of every runtime (sets ${LOG_LEVEL_ENV})`).choices([
        'trace',
        'debug',
        'info',
        'warn',
        'error',
        'fatal',
        'silent',
      ]),
    )
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Exit codes: 0 success; 1 failure (invalid YAML or options, a runtime that fails, a request that fails);
2 command-line usage error (unknown command or option, missing or malformed argument).`,
    )
    .hook('preAction', (cmd) => {
      const level = cmd.optsWithGlobals().logLevel as string | undefined;
      if (level) process.env[LOG_LEVEL_ENV] = level;
    });

  // One line per command; each lives in src/commands/<name>.ts.
  registerFlow(program);
  registerDeployment(program);
  registerExecutorCommand(program);
  registerHead(program);
  registerPingCommand(program);
  registerGatewayCommand(program);
  registerExport(program);
  registerClient(program);
  registerNew(program);

  return program;
}
