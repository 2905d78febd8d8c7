import type { Command } from 'commander';
import { loadFlowYaml } from '@weft/orchestrator';

/** Registers `weft flow`: serve a Flow from YAML until Ctrl-C. */
export function registerFlow(program: Command): void {
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
}
