import { type Command, Option } from 'commander';
import { type Deployment, type Door, type Flow, loadDeploymentYaml, loadFlowYaml } from '@weft/orchestrator';
import { keyValue } from './args.js';

/** The ready line: every door's URL. */
export function readyLine(kind: string, doors: readonly Door[], what: string): string {
  return `${kind} ready: ${doors.map((d) => d.url).join(' ')} (${what}). Press Ctrl-C to stop.`;
}

async function serve(x: Flow | Deployment, line: () => string): Promise<void> {
  await x.start();
  console.log(line());
  await x.block();
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: names the YAML expression syntax
const contextHelp = 'a value for ${{ CONTEXT.KEY }} in the YAML (repeatable)';
const contextOption = () => new Option('--context <KEY=VALUE>', contextHelp).argParser(keyValue('--context'));

/** Registers `weft flow`: serve a Flow from YAML until Ctrl-C. */
export function registerFlow(program: Command): void {
  program
    .command('flow')
    .description('serve a Flow from a YAML file until Ctrl-C or SIGTERM, then drain and stop it')
    .requiredOption('--uses <flow.yml>', 'the Flow YAML file (jtype: Flow)')
    .addOption(contextOption())
    .addHelpText(
      'after',
      `
Examples:
  $ weft flow --uses flow.yml
  $ weft --log-level debug flow --uses flow.yml --context model=small

flow.yml:
  jtype: Flow
  with:
    protocol: [grpc, http]
    port: [12345, 12346]
  executors:
    - uses: ./executors.ts#FooExec
      replicas: 3
    - uses: ./executors.ts#BarExec

Prints one line when ready (every door's URL); exit code 0 after Ctrl-C, 1 when the Flow fails.`,
    )
    .action(async (opts: { uses: string; context?: Record<string, string> }) => {
      const flow = await loadFlowYaml(opts.uses, { context: opts.context });
      await serve(flow, () => readyLine('Flow', flow.doors, flow.deploymentNames.join(', ')));
    });
}

/** Registers `weft deployment`: serve a Deployment from YAML until Ctrl-C. */
export function registerDeployment(program: Command): void {
  program
    .command('deployment')
    .description(
      'serve one Executor (replicas, shards, optional gateway) from a Deployment YAML file until Ctrl-C',
    )
    .requiredOption('--uses <deployment.yml>', 'the Deployment YAML file (jtype: Deployment)')
    .addOption(contextOption())
    .addHelpText(
      'after',
      `
Example:
  $ weft deployment --uses deployment.yml

deployment.yml:
  jtype: Deployment
  with:
    uses: ./executors.ts#Encoder
    replicas: 2
    port: 12345`,
    )
    .action(async (opts: { uses: string; context?: Record<string, string> }) => {
      const d = await loadDeploymentYaml(opts.uses, { context: opts.context });
      await serve(d, () => readyLine('Deployment', d.doors, d.name));
    });
}
