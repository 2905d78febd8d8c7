/**
 * Executor, `@requests`, `@dynamicBatching` and the worker gRPC server that serves an Executor as a microservice.
 * @packageDocumentation
 */
import './metadata.js';

export {
  DEFAULT_ENDPOINT,
  Executor,
  ExecutorDefinitionError,
  batchingOf,
  bindingsOf,
  constructExecutor,
  definingModuleOf,
  dynamicBatching,
  isExecutorClass,
  isStreamingMethod,
  requests,
} from './executor.js';
export type {
  DynamicBatchingOptions,
  ExecutorMetas,
  Handler,
  HandlerResult,
  RequestContext,
  RequestsOptions,
  RuntimeArgs,
  StreamHandler,
} from './executor.js';
export { BatchSizeMismatchError } from './batching.js';
export { batchingFromYaml, loadExecutorClass } from './loader.js';
export type { ExecutorClass, LoadExecutorOptions, LoadedExecutor, ExecutorUses } from './loader.js';
export { ExecutorStartError, parametersFor, serveExecutor } from './worker.js';
export type { Worker, WorkerOptions } from './worker.js';
export { serveExecutorTls } from './tls.js';
export type { ExecutorTls, TlsWorkerOptions } from './tls.js';
export { runExecutorProcess } from './process.js';
export type { ExecutorProcessOptions } from './process.js';
export { LOG_LEVEL_ENV } from './logger.js';
