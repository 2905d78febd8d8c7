/**
 * Deployments and Flows: run Executors and a Gateway as supervised local processes, from
 * TypeScript or YAML, and export them to Kubernetes or Docker Compose.
 * @packageDocumentation
 */
export { Flow } from './flow.js';
export type { Door, RuntimeInfo } from './flow.js';
export type {
  DeploymentOptions,
  FlowOptions,
  GatewayProtocol,
  Polling,
  PollingMode,
  TlsFiles,
} from './options.js';
export { GATEWAY_LIMIT_FLAGS } from './options.js';
export { RuntimeStartError } from './runtime-process.js';
export type { RuntimeState } from './runtime-process.js';
export { TopologyError } from './topology.js';
export { resolveUses } from './uses.js';
export type { Uses, UsesSpec } from './uses.js';
export { Deployment } from './deployment.js';
export type { DeploymentRunOptions } from './deployment.js';
export { loadDeploymentYaml, loadFlowYaml, loadYaml, saveYaml, substituteVariables, toYaml } from './yaml.js';
export type { LoadYamlOptions } from './yaml.js';
export { yamlJsonSchema } from './yaml-schema.js';
export type { DeploymentYamlDocument, ExecutorEntryDocument, FlowYamlDocument } from './yaml-schema.js';
export { exportKubernetes, toKubernetes } from './export/kubernetes.js';
export type { KubernetesExportOptions, KubernetesManifests, KubernetesObject } from './export/kubernetes.js';
export { exportDockerCompose, toDockerCompose } from './export/compose.js';
export type { ComposeExportOptions, ComposeFile, ComposeService } from './export/compose.js';
export type { ExportOptions } from './export/common.js';
