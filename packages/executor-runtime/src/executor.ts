import type { JsonObject } from '@bufbuild/protobuf';
import type { DocumentArray } from '@weft/docarray';
import { callerModule } from '@weft/core';
import { metadataOf } from './metadata.js';

const BINDINGS = Symbol.for('weft.requests');
const MODULE = Symbol.for('weft.module');

/** The endpoint of the default handler binding (Jina's `__default_endpoint__`). */
export const DEFAULT_ENDPOINT = '/default';

/** What a handler receives besides its documents. */
export interface RequestContext {
  /** Request parameters; keys `<name>__<key>` for this executor arrive as `<key>`. */
  parameters: JsonObject;
  /** The endpoint called, e.g. `/index`. */
  endpoint: string;
  /** Aborted when the caller's deadline passes or the runtime shuts down. */
  signal: AbortSignal;
  /** For joins without reduce: the documents of each incoming part, in `needs` order. */
  docsMatrix?: DocumentArray[];
  /** For joins without reduce: the documents of each incoming part, by deployment name. */
  docsMap?: Record<string, DocumentArray>;
  /** Request headers (gRPC metadata). */
  headers: Record<string, string>;
}

/** A handler's return value: new docs, nothing (docs mutated in place), or a plain results object. */
// biome-ignore lint/suspicious/noConfusingVoidType: handlers may be declared as returning void
export type HandlerResult = DocumentArray | JsonObject | undefined | void;

/** A method bound to endpoints with {@link requests}. */
export type Handler = (docs: DocumentArray, ctx: RequestContext) => HandlerResult | Promise<HandlerResult>;

/** Options of {@link requests}. */
export interface RequestsOptions {
  /** Endpoint(s) this method serves; omit for the default handler used by any other endpoint. */
  on?: string | readonly string[];
}

interface Binding {
  endpoint: string;
  method: string | symbol;
}

/** Error thrown when an Executor class binds endpoints inconsistently. */
export class ExecutorDefinitionError extends Error {
  override name = 'ExecutorDefinitionError';
}

/**
 * Binds a method of an {@link Executor} to endpoints. Bare `@requests()` makes it the default
 * handler, used for any endpoint without an explicit binding.
 *
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
  return <T extends Handler>(method: T, context: ClassMethodDecoratorContext): T => {
    if (context.static)
      throw new ExecutorDefinitionError(`@requests cannot bind static method ${String(context.name)}`);
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

/** Endpoint → method name for a class, own bindings overriding inherited ones. */
export function bindingsOf(cls: Function): Map<string, string | symbol> {
  const chain: Binding[][] = [];
  let meta = metadataOf(cls) as Record<PropertyKey, unknown> | null | undefined;
  while (meta) {
    if (Object.hasOwn(meta, BINDINGS)) chain.unshift(meta[BINDINGS] as Binding[]);
    meta = Object.getPrototypeOf(meta);
  }
  const map = new Map<string, string | symbol>();
  for (const list of chain) for (const b of list) map.set(b.endpoint, b.method);
  return map;
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
  /** The executor's name. @default the class name */
  name: string;
  description?: string;
  [key: string]: unknown;
}

/** How the executor is being run. */
export interface RuntimeArgs {
  /** Runtime name, e.g. `executor0/rep-0`. */
  name: string;
  /** Deployment name, e.g. `executor0`. */
  deploymentName: string;
  replicas: number;
  shards: number;
  shardId: number;
  replicaId: number;
  /** Root workspace folder. */
  workspace?: string;
}

/** @internal Context handed to the Executor base constructor by the runtime. */
export interface ConstructionContext {
  metas?: Partial<ExecutorMetas>;
  runtimeArgs?: Partial<RuntimeArgs>;
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
 */
export class Executor {
  /** Descriptive metadata (`metas` in YAML). */
  readonly metas: ExecutorMetas;
  /** How this instance is run (name, replicas, shard id, workspace). */
  readonly runtimeArgs: RuntimeArgs;

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
      workspace: ctx.runtimeArgs?.workspace,
    };
  }

  /** Runs on graceful shutdown; override to release resources. */
  close(): void | Promise<void> {}
}

/** Whether a value is an Executor subclass. */
export function isExecutorClass(value: unknown): value is typeof Executor {
  return typeof value === 'function' && (value === Executor || value.prototype instanceof Executor);
}
