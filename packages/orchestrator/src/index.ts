/**
 * Deployments and Flows: run Executors and a Gateway as supervised local processes.
 * @packageDocumentation
 */
export { Flow } from './flow.js';
export type { DeploymentOptions, FlowOptions, RuntimeInfo } from './flow.js';
export { RuntimeStartError } from './runtime-process.js';
export { resolveUses } from './uses.js';
export type { Uses, UsesSpec } from './uses.js';
export { loadFlowYaml } from './yaml.js';
