import { Command } from 'commander';
import { loadFlowYaml } from '@weft/orchestrator';
import { registerExecutorCommand } from './commands/executor.js';
import { registerPingCommand } from './commands/ping.js';
import { registerGatewayCommand } from './commands/gateway.js';
import { VERSION } from './version.js';

/** Builds the `weft` command-line program. */
export function buildProgram(): Command {
  const program = new Command('weft')
    .description(
      "Serve data and ML pipelines as microservices: Executors, Flows and a Gateway speaking Jina 3's wire format.",
    )
    .version(VERSION, '-v, --version', 'print the version of weft')
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('flow')
    .description('serve a Flow from a YAML file until Ctrl-C')
    .requiredOption('--uses <flow.yml>', 'the Flow YAML file (jtype: Flow)')
    .addHelpText(
      'after',
      `
Example:
  $ weft flow --uses flow.yml

flow.yml:
  jtype: Flow
  with:
    port: 12345
  executors:
    - uses: ./executors.ts#FooExec
      replicas: 3
    - uses: ./executors.ts#BarExec`,
    )
    .action(async (opts: { uses: string }) => {
      const flow = await loadFlowYaml(opts.uses);
      await flow.start();
      console.log(
        `Flow ready: gRPC gateway at grpc://127.0.0.1:${flow.port} (${flow.deploymentNames.join(' → ')}). Press Ctrl-C to stop.`,
      );
      await flow.block();
    });

  registerExecutorCommand(program);
  registerPingCommand(program);
  registerGatewayCommand(program);
  return program;
}
