import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { JsonObject } from '@bufbuild/protobuf';
import { callerModule } from '@weft/core';
import type { Document, DocumentArray, DocumentInit } from '@weft/docarray';
import type { Logger } from 'pino';
import { createRuntimeLogger } from './logger.js';
import { metadataOf } from './metadata.js';

const BINDINGS = Symbol.for('weft.requests');
const BATCHING = Symbol.for('weft.dynamic-batching');
const MODULE = Symbol.for('weft.module');

/** The endpoint of the default handler binding (Jina's `__default_endpoint__`). */
export const DEFAULT_ENDPOINT = '/default';

/** What a handler receives besides its documents. */
export interface RequestContext {
  /** Request parameters; keys `<name>__<key>` for this executor arrive as `<key>`, other executors' are dropped. */
  parameters: JsonObject;
  /** The endpoint called, e.g. `/index`. */
  endpoint: string;
  /**
   * Aborted when the caller's deadline passes, or when the runtime shuts down and the grace
   * period for in-flight requests is over. Pass it on to anything slow (fetch, child work).
   */
  signal: AbortSignal;
  /** For joins without reduce (`process_data`): the documents of each incoming part, in `needs` order. */
  docsMatrix?: DocumentArray[];
  /** For joins without reduce (`process_data`): the documents of each incoming part, by deployment name. */
  docsMap?: Record<string, DocumentArray>;
  /** Request headers (gRPC metadata), lower-case names. */
  headers: Record<string, string>;
}

/** A handler's return value: new docs, nothing (docs mutated in place), or a plain results object. */
// biome-ignore lint/suspicious/noConfusingVoidType: handlers may be declared as returning void
export type HandlerResult = DocumentArray | JsonObject | undefined | void;

/** A method bound to endpoints with {@link requests}. */
export type Handler = (docs: DocumentArray, ctx: RequestContext) => HandlerResult | Promise<HandlerResult>;

/** A streaming method: an async generator over one document, yielding documents. */
export type StreamHandler = (
  doc: Document,
  ctx: RequestContext,
) => AsyncGenerator<Document | DocumentInit, void, undefined>;

/** Options of {@link requests}. */
export interface RequestsOptions {
  /** Endpoint(s) this method serves. @default the default handler, used by any endpoint without its own binding */
  on?: string | readonly string[];
}

/** Options of {@link dynamicBatching}; YAML `dynamic_batching:` uses `preferred_batch_size` and `timeout`. */
export interface DynamicBatchingOptions {
  /** Run a batch as soon as this many documents are queued. */
  preferredBatchSize: number;
  /** Run a batch once its oldest request has waited this long (ms). @default 10000 */
  timeoutMs?: number;
}

interface Binding {
  endpoint: string;
  method: string | symbol;
}

/** Error thrown when an Executor class or its configuration binds endpoints inconsistently. */
export class ExecutorDefinitionError extends Error {
  override name = 'ExecutorDefinitionError';
}

function isAsyncGeneratorFunction(fn: unknown): boolean {
  return Object.prototype.toString.call(fn) === '[object AsyncGeneratorFunction]';
}

/** The name of a function's first parameter, read from its source (undefined when it has none). */
function firstParameterName(fn: Function): string | undefined {
  const src = Function.prototype.toString.call(fn);
  const m = /^[^(]*\(\s*([A-Za-z_$][\w$]*)/.exec(src);
  return m?.[1];
}

/**
 * Binds a method of an {@link Executor} to endpoints. Bare `@requests()` makes it the default
 * handler, used for any endpoint without an explicit binding. An async generator method over one
 * `doc` is a streaming endpoint (served by `stream_doc`, one document per yield).
 *
 * @throws {@link ExecutorDefinitionError} when the class is defined, if an endpoint is bound twice
 *   or a generator takes `docs` instead of one `doc`.
 * @example
 * ```ts
 * class Indexer extends Executor {
 *   @requests({ on: ['/index', '/update'] })
 *   async index(docs: DocumentArray, { parameters }: RequestContext) { ... }
 * }
 * ```
 */
export function requests(options: RequestsOptions = {}) {
  const endpoints =
    options.on === undefined
      ? [DEFAULT_ENDPOINT]
      : typeof options.on === 'string'
        ? [options.on]
        : [...options.on];
  for (const e of endpoints) {
    if (typeof e !== 'string' || e.length === 0) {
      throw new ExecutorDefinitionError(
        `@requests: endpoint ${JSON.stringify(e)} must be a non-empty string such as '/index'`,
      );
    }
  }
  const definedIn = callerModule(import.meta.url);
  return <T extends Handler | StreamHandler>(method: T, context: ClassMethodDecoratorContext): T => {
    if (context.static)
      throw new ExecutorDefinitionError(`@requests cannot bind static method ${String(context.name)}`);
    if (isAsyncGeneratorFunction(method) && firstParameterName(method) === 'docs') {
      throw new ExecutorDefinitionError(
        `@requests: streaming method ${String(context.name)} is an async generator over 'docs'; ` +
          'a streaming endpoint takes one document: declare it as `async *' +
          `${String(context.name)}(doc: Document, ctx)\` and yield documents`,
      );
    }
    const meta = context.metadata as Record<PropertyKey, unknown>;
    if (!Object.hasOwn(meta, BINDINGS)) meta[BINDINGS] = [];
    const own = meta[BINDINGS] as Binding[];
    for (const endpoint of endpoints) {
      const taken = own.find((b) => b.endpoint === endpoint);
      if (taken) {
        const what =
          endpoint === DEFAULT_ENDPOINT ? 'the default handler (bare @requests())' : `endpoint '${endpoint}'`;
        throw new ExecutorDefinitionError(
          `${what} is bound twice: by ${String(taken.method)} and ${String(context.name)}; bind each endpoint once`,
        );
      }
      own.push({ endpoint, method: context.name });
    }
    if (definedIn && !Object.hasOwn(meta, MODULE)) meta[MODULE] = definedIn;
    return method;
  };
}

/** Checks dynamic batching options, naming `where` they came from in the error. */
export function validateBatching(
  options: DynamicBatchingOptions,
  where: string,
): Required<DynamicBatchingOptions> {
  const size = options.preferredBatchSize;
  if (!Number.isInteger(size) || size < 1) {
    throw new ExecutorDefinitionError(
      `${where}: preferredBatchSize must be a positive integer (a number of documents), got ${JSON.stringify(size)}`,
    );
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new ExecutorDefinitionError(
      `${where}: timeoutMs must be a number of milliseconds ≥ 0, got ${JSON.stringify(options.timeoutMs)}`,
    );
  }
  return { preferredBatchSize: size, timeoutMs };
}

/**
 * Turns on dynamic batching for every endpoint of a method bound with {@link requests}: requests
 * with identical parameters are queued and handled as one batch once `preferredBatchSize` documents
 * are queued or the oldest has waited `timeoutMs`; each request gets back exactly its own documents.
 * The handler must return as many documents as it was given.
 *
 * @example
 * ```ts
 * class Encoder extends Executor {
 *   @requests({ on: '/encode' })
 *   @dynamicBatching({ preferredBatchSize: 64, timeoutMs: 20 })
 *   encode(docs: DocumentArray) { ... }
 * }
 * ```
 */
export function dynamicBatching(options: DynamicBatchingOptions) {
  const checked = validateBatching(options, '@dynamicBatching');
  return <T extends (...args: any[]) => unknown>(method: T, context: ClassMethodDecoratorContext): T => {
    if (context.static)
      throw new ExecutorDefinitionError(
        `@dynamicBatching cannot apply to static method ${String(context.name)}`,
      );
    if (isAsyncGeneratorFunction(method)) {
      throw new ExecutorDefinitionError(
        `@dynamicBatching cannot apply to streaming method ${String(context.name)}: a stream answers one document`,
      );
    }
    const meta = context.metadata as Record<PropertyKey, unknown>;
    if (!Object.hasOwn(meta, BATCHING)) meta[BATCHING] = new Map();
    (meta[BATCHING] as Map<string | symbol, Required<DynamicBatchingOptions>>).set(context.name, checked);
    return method;
  };
}

function ownChain<T>(cls: Function, key: symbol): T[] {
  const chain: T[] = [];
  let meta = metadataOf(cls) as Record<PropertyKey, unknown> | null | undefined;
  while (meta) {
    if (Object.hasOwn(meta, key)) chain.unshift(meta[key] as T);
    meta = Object.getPrototypeOf(meta);
  }
  return chain;
}

/** Endpoint → method name for a class, own bindings overriding inherited ones. */
export function bindingsOf(cls: Function): Map<string, string | symbol> {
  const map = new Map<string, string | symbol>();
  for (const list of ownChain<Binding[]>(cls, BINDINGS)) for (const b of list) map.set(b.endpoint, b.method);
  return map;
}

/** Method name → dynamic batching options set with {@link dynamicBatching} on a class and its bases. */
export function batchingOf(cls: Function): Map<string | symbol, Required<DynamicBatchingOptions>> {
  const map = new Map<string | symbol, Required<DynamicBatchingOptions>>();
  for (const m of ownChain<Map<string | symbol, Required<DynamicBatchingOptions>>>(cls, BATCHING))
    for (const [k, v] of m) map.set(k, v);
  return map;
}

/** Whether a method is a streaming endpoint (an async generator function). */
export function isStreamingMethod(fn: unknown): boolean {
  return isAsyncGeneratorFunction(fn);
}

/** The file URL of the module that defined a decorated Executor class, when known. */
export function definingModuleOf(cls: Function): string | undefined {
  // Only the class's own metadata counts: an undecorated subclass would otherwise report its base's module.
  if (!Object.hasOwn(cls, Symbol.metadata as symbol)) return undefined;
  const meta = metadataOf(cls);
  return meta && Object.hasOwn(meta, MODULE) ? (meta[MODULE] as string) : undefined;
}

/** Descriptive metadata of an executor (Jina's `metas`). */
export interface ExecutorMetas {
  /** The executor's name. @default the deployment name, else the class name */
  name: string;
  /** What the executor does. */
  description?: string;
  /** Root workspace folder, used when the runtime gives none. */
  workspace?: string;
  [key: string]: unknown;
}

/** How the executor is being run. */
export interface RuntimeArgs {
  /** Runtime name, e.g. `executor0/rep-0`. */
  name: string;
  /** Deployment name, e.g. `executor0`. */
  deploymentName: string;
  /** Number of replicas of the deployment. @default 1 */
  replicas: number;
  /** Number of shards of the deployment. @default 1 */
  shards: number;
  /** This runtime's shard. @default 0 */
  shardId: number;
  /** This runtime's replica. @default 0 */
  replicaId: number;
  /** Root workspace folder. */
  workspace?: string;
}

/** @internal Context handed to the Executor base constructor by the runtime. */
export interface ConstructionContext {
  metas?: Partial<ExecutorMetas>;
  runtimeArgs?: Partial<RuntimeArgs>;
  logger?: Logger;
}

let pending: ConstructionContext | undefined;

/** @internal Constructs `cls` with `withArgs`, handing metas and runtime args to the base constructor. */
export function constructExecutor<T extends Executor>(
  cls: new (args?: any) => T,
  withArgs: Record<string, unknown> = {},
  context: ConstructionContext = {},
): T {
  pending = context;
  try {
    return new cls(withArgs);
  } finally {
    pending = undefined;
  }
}

/**
 * Base class of every Executor: methods bound with {@link requests} become endpoints.
 * A subclass constructor receives the `with` arguments (Jina's `uses_with`) as its first argument.
 *
 * @example
 * ```ts
 * class Greeter extends Executor {
 *   constructor(readonly args: { greeting?: string } = {}) { super(args); }
 *   @requests()
 *   greet(docs: DocumentArray) { for (const d of docs) d.text = `${this.args.greeting ?? 'hi'} ${d.text}`; }
 * }
 * ```
 */
export class Executor {
  /** Descriptive metadata (`metas` in YAML). */
  readonly metas: ExecutorMetas;
  /** How this instance is run (name, replicas, shard id, workspace). */
  readonly runtimeArgs: RuntimeArgs;
  /** A pino logger bound to the runtime name. */
  readonly logger: Logger;

  constructor(_args?: unknown) {
    const ctx = pending ?? {};
    pending = undefined;
    const name = ctx.metas?.name ?? ctx.runtimeArgs?.deploymentName ?? new.target.name;
    this.metas = { ...ctx.metas, name };
    this.runtimeArgs = {
      name: ctx.runtimeArgs?.name ?? name,
      deploymentName: ctx.runtimeArgs?.deploymentName ?? name,
      replicas: ctx.runtimeArgs?.replicas ?? 1,
      shards: ctx.runtimeArgs?.shards ?? 1,
      shardId: ctx.runtimeArgs?.shardId ?? 0,
      replicaId: ctx.runtimeArgs?.replicaId ?? 0,
      workspace: ctx.runtimeArgs?.workspace ?? ctx.metas?.workspace,
    };
    this.logger = ctx.logger ?? createRuntimeLogger(this.runtimeArgs.name);
  }

  /**
   * This executor's own folder, `<workspace>/<name>/<shard id>/`, created on first access;
   * undefined when neither the runtime nor `metas.workspace` gives a workspace.
   */
  get workspace(): string | undefined {
    const root = this.runtimeArgs.workspace;
    if (!root) return undefined;
    const dir = join(root, this.metas.name, String(this.runtimeArgs.shardId));
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** Runs once on graceful shutdown, after the last request; override to release resources. */
  close(): void | Promise<void> {}
}

/** Whether a value is an Executor subclass. */
export function isExecutorClass(value: unknown): value is typeof Executor {
  return typeof value === 'function' && (value === Executor || value.prototype instanceof Executor);
}
