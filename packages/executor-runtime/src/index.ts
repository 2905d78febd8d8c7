/**
 * Executor, `@requests` and the worker gRPC server that serves an Executor as a microservice.
 * @packageDocumentation
 */
import './metadata.js';

export {
  DEFAULT_ENDPOINT,
  Executor,
  ExecutorDefinitionError,
  bindingsOf,
  constructExecutor,
  definingModuleOf,
  isExecutorClass,
  requests,
} from './executor.js';
export type {
  ExecutorMetas,
  Handler,
  HandlerResult,
  RequestContext,
  RequestsOptions,
  RuntimeArgs,
} from './executor.js';
export { parametersFor, serveExecutor } from './worker.js';
export type { Worker, WorkerOptions } from './worker.js';
