import { create, type JsonObject } from '@bufbuild/protobuf';
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from '@connectrpc/connect';
import { ConfigError, RESULTS_KEY, errorStatus, requestDocs, requestEndpoint } from '@weft/core';
import {
  type GrpcServer,
  type LeanCallContext,
  registerHealth,
  ServingStatus,
  decodeDataRequest,
  encodeDataRequest,
  grpcServerTls,
  type ServerTlsMaterial,
  startLeanGrpcServer,
} from '@weft/core/grpc';
import { Document, DocumentArray } from '@weft/docarray';
import {
  type DataRequestProto,
  EndpointsProtoSchema,
  JinaDataRequestRPC,
  JinaDiscoverEndpointsRPC,
  JinaInfoRPC,
  JinaRPC,
  JinaSingleDataRequestRPC,
  JinaSingleDocumentRequestRPC,
  type SingleDocumentRequestProto,
  SingleDocumentRequestProtoSchema,
} from '@weft/proto';
import type { Logger } from 'pino';
import { DynamicBatcher } from './batching.js';
import { createRuntimeLogger } from './logger.js';
import {
  DEFAULT_ENDPOINT,
  type DynamicBatchingOptions,
  type Executor,
  type ExecutorMetas,
  ExecutorDefinitionError,
  type RequestContext,
  type RuntimeArgs,
  batchingOf,
  bindingsOf,
  constructExecutor,
  isStreamingMethod,
  validateBatching,
} from './executor.js';
import { type LoadExecutorOptions, type ExecutorUses, loadExecutorClass } from './loader.js';
import { Mutex } from './mutex.js';
import { docsOf } from './lean-request.js';
import { setResponseDocs } from './response-docs.js';

/** Options of {@link serveExecutor}. */
export interface WorkerOptions {
  /** The Executor: a class, `./file.ts#Export`, a YAML file or inline YAML (see {@link loadExecutorClass}). */
  uses: ExecutorUses;
  /** Folder that relative `uses` paths resolve against. @default process.cwd() */
  baseDir?: string;
  /** Classes a YAML `jtype` may name. @default `{}` */
  classes?: LoadExecutorOptions['classes'];
  /** Constructor arguments (`uses_with`), merged over YAML `with`. @default `{}` */
  usesWith?: Record<string, unknown>;
  /** Metas (`uses_metas`), merged over YAML `metas`. @default `{}` */
  usesMetas?: Partial<ExecutorMetas>;
  /** Endpoint → method name rebindings (`uses_requests`), merged over YAML `requests`. @default `{}` */
  usesRequests?: Record<string, string>;
  /** Endpoint → dynamic batching (`uses_dynamic_batching`), over YAML and `@dynamicBatching`. @default `{}` */
  usesDynamicBatching?: Record<string, DynamicBatchingOptions>;
  /** Deployment name; `name__key` parameters address it. @default metas.name, else the class name */
  name?: string;
  /** Runtime name used for `__results__` and logs. @default `<name>/rep-<replicaId>` */
  runtimeName?: string;
  /** Port to listen on; 0 picks one. @default 0 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** Allow several requests to run at once on this replica. @default false */
  allowConcurrent?: boolean;
  /** Root workspace folder; the executor's own is `<workspace>/<name>/<shard id>/`. @default metas.workspace */
  workspace?: string;
  /** Runtime arguments handed to the executor (replicas, shards, shardId, replicaId). @default one replica, one shard */
  runtimeArgs?: Partial<RuntimeArgs>;
  /** Error class names (`err.name`) that make the runtime exit after answering (an orchestrator restarts it). @default `[]` */
  exitOnExceptions?: readonly string[];
  /** Called after an error listed in `exitOnExceptions` was answered. @default drain, then `process.exit(1)` */
  onFatal?: (err: Error) => void | Promise<void>;
  /** Largest gRPC message received or sent, in bytes. @default 256 MiB */
  maxMessageBytes?: number;
  /**
   * Serve gRPC over TLS with this certificate and key (PEM); with `ca`, mutual TLS: a client
   * without a certificate signed by `ca` fails its handshake. @default plaintext
   */
  tls?: ServerTlsMaterial;
  /** How long `close()` waits for in-flight and batched requests, in ms. @default 10000 */
  graceMs?: number;
  /** Logger for the runtime and the executor (`this.logger`). @default pino bound to the runtime name */
  logger?: Logger;
}

/** A served executor. */
export interface Worker extends AsyncDisposable {
  /** The port it listens on. */
  readonly port: number;
  /** The executor instance. */
  readonly executor: Executor;
  /** Deployment name. */
  readonly name: string;
  /** Runtime name, e.g. `executor0/rep-0`. */
  readonly runtimeName: string;
  /** The endpoints it binds (including `/default` for a default handler). */
  readonly endpoints: readonly string[];
  /**
   * Stops serving: health turns NOT_SERVING, new requests get UNAVAILABLE, queued batches run,
   * in-flight requests finish (up to `graceMs`, then their `ctx.signal` aborts), the server
   * closes and `executor.close()` runs once. Calling it again returns the same promise.
   */
  close(graceMs?: number): Promise<void>;
}

/** Keeps this executor's own parameters: `name__key` → `key`; other executors' prefixed keys are dropped. */
export function parametersFor(parameters: JsonObject, name: string): JsonObject {
  const out: JsonObject = {};
  const own: JsonObject = {};
  for (const [k, v] of Object.entries(parameters)) {
    const i = k.indexOf('__');
    if (i > 0 && k !== RESULTS_KEY) {
      if (k.slice(0, i) === name) own[k.slice(i + 2)] = v;
      continue;
    }
    out[k] = v;
  }
  return Object.assign(out, own);
}

/** Error thrown by {@link serveExecutor} when the executor cannot be constructed. */
export class ExecutorStartError extends Error {
  override name = 'ExecutorStartError';
}

type Method = (this: Executor, ...args: unknown[]) => unknown;

const VERSION = '0.1.0';

/** The parts of a call's context that handlers read: connect's and the lean layer's alike. */
type CallContext = Pick<HandlerContext, 'signal' | 'requestHeader' | 'responseTrailer'> | LeanCallContext;

function headersOf(ctx: CallContext): Record<string, string> {
  return Object.fromEntries(ctx.requestHeader.entries());
}

function normalizeResult(result: unknown): DocumentArray | JsonObject | undefined {
  if (result instanceof DocumentArray) return result;
  if (Array.isArray(result)) return new DocumentArray(result as Document[]);
  if (result !== null && typeof result === 'object') return result as JsonObject;
  return undefined;
}

/**
 * Serves an Executor as a gRPC microservice with every worker RPC of the wire format:
 * `process_single_data`, `process_data`, `stream_doc`, `JinaRPC/Call`, `endpoint_discovery`,
 * `_status` and `grpc.health.v1.Health`. The executor is loaded and constructed before the port
 * opens, so health answers SERVING only once the constructor has finished.
 *
 * @throws ConfigError for a bad `uses` or binding; {@link ExecutorStartError} when the constructor throws.
 * @example
 * ```ts
 * const worker = await serveExecutor({ uses: './executors.ts#Encoder', port: 51000 });
 * process.on('SIGTERM', () => void worker.close());
 * ```
 */
export async function serveExecutor(options: WorkerOptions): Promise<Worker> {
  const loaded = await loadExecutorClass(options.uses, {
    baseDir: options.baseDir,
    classes: options.classes,
  });
  const cls = loaded.cls;
  const metas: Partial<ExecutorMetas> = { ...loaded.metas, ...options.usesMetas };
  const name = options.name ?? metas.name ?? cls.name;
  const replicaId = options.runtimeArgs?.replicaId ?? 0;
  const runtimeName = options.runtimeName ?? `${name}/rep-${replicaId}`;
  const logger = options.logger ?? createRuntimeLogger(runtimeName);

  // Bindings: the class's decorators, then YAML `requests`, then `usesRequests`.
  const bindings = bindingsOf(cls);
  const rebind = { ...loaded.requests, ...options.usesRequests };
  for (const [endpoint, method] of Object.entries(rebind)) {
    if (
      method === 'constructor' ||
      typeof (cls.prototype as Record<string, unknown>)[method] !== 'function'
    ) {
      const methods = Object.getOwnPropertyNames(cls.prototype).filter(
        (m) => m !== 'constructor' && typeof (cls.prototype as Record<string, unknown>)[m] === 'function',
      );
      throw new ConfigError(
        `requests: endpoint '${endpoint}' is bound to '${method}', which is not a method of ${cls.name}; ` +
          `its methods: ${methods.join(', ') || 'none'}`,
      );
    }
    bindings.set(endpoint, method);
  }
  const methodOf = (endpoint: string) => bindings.get(endpoint) ?? bindings.get(DEFAULT_ENDPOINT);

  // Dynamic batching per endpoint: decorator on the method, then YAML, then `usesDynamicBatching`.
  const batching = new Map<string, Required<DynamicBatchingOptions>>();
  const byMethod = batchingOf(cls);
  for (const [endpoint, method] of bindings) {
    const b = byMethod.get(method);
    if (b) batching.set(endpoint, b);
  }
  for (const [endpoint, b] of Object.entries({ ...loaded.dynamicBatching, ...options.usesDynamicBatching })) {
    const checked = validateBatching(b, `dynamic_batching['${endpoint}']`);
    const method = methodOf(endpoint);
    if (
      method !== undefined &&
      isStreamingMethod((cls.prototype as Record<string | symbol, unknown>)[method])
    ) {
      throw new ExecutorDefinitionError(
        `dynamic_batching['${endpoint}']: ${String(method)} is a streaming method; streams cannot be batched`,
      );
    }
    batching.set(endpoint, checked);
  }

  let executor: Executor;
  try {
    executor = constructExecutor(
      cls,
      { ...loaded.with, ...options.usesWith },
      {
        metas: { ...metas, name },
        runtimeArgs: {
          ...options.runtimeArgs,
          name: runtimeName,
          deploymentName: name,
          workspace: options.workspace ?? options.runtimeArgs?.workspace ?? metas.workspace,
        },
        logger,
      },
    );
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    throw new ExecutorStartError(
      `the constructor of ${cls.name} (${loaded.source}) threw ${e.name}: ${e.message}`,
      {
        cause: err,
      },
    );
  }

  const mutex = options.allowConcurrent ? undefined : new Mutex();
  const shutdown = new AbortController();
  const graceDefault = options.graceMs ?? 10_000;
  let status = ServingStatus.SERVING;
  let draining = false;
  let inFlight = 0;
  const idleWaiters: (() => void)[] = [];
  let worker: Worker;

  const fnOf = (method: string | symbol) => (executor as unknown as Record<string | symbol, Method>)[method]!;

  function enter(): void {
    if (draining) {
      throw new ConnectError(
        `executor runtime '${runtimeName}' is shutting down; send the request to another replica`,
        Code.Unavailable,
      );
    }
    inFlight++;
  }
  function leave(): void {
    inFlight--;
    if (inFlight === 0) for (const w of idleWaiters.splice(0)) w();
  }

  /** The handler's context; the combined signal and the headers are made only when a handler reads them. */
  function contextFor(ctx: CallContext, parameters: JsonObject, endpoint: string): RequestContext {
    let signal: AbortSignal | undefined;
    let headers: Record<string, string> | undefined;
    return {
      parameters,
      endpoint,
      get signal() {
        signal ??= AbortSignal.any([ctx.signal, shutdown.signal]);
        return signal;
      },
      get headers() {
        headers ??= headersOf(ctx);
        return headers;
      },
    };
  }

  async function locked<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    const release = mutex ? await mutex.acquire() : undefined;
    try {
      if (signal.aborted || shutdown.signal.aborted) {
        throw new ConnectError(
          `the request's deadline passed while it waited for '${runtimeName}' (one request at a time; allowConcurrent lifts this)`,
          Code.DeadlineExceeded,
        );
      }
      return await fn();
    } finally {
      release?.();
    }
  }

  const batchers = new Map<string, DynamicBatcher>();
  function batcherFor(endpoint: string, method: string | symbol): DynamicBatcher | undefined {
    const b = batching.get(endpoint);
    if (!b) return undefined;
    let batcher = batchers.get(endpoint);
    if (!batcher) {
      batcher = new DynamicBatcher(endpoint, b, (docs, parameters, headers) =>
        locked(shutdown.signal, async () => {
          const rctx: RequestContext = { parameters, endpoint, signal: shutdown.signal, headers };
          return normalizeResult(await fnOf(method).call(executor, docs, rctx));
        }),
      );
      batchers.set(endpoint, batcher);
    }
    return batcher;
  }

  function fail(err: unknown, ctx: CallContext, endpoint: string) {
    const e = err instanceof Error ? err : new Error(String(err));
    ctx.responseTrailer.set('is-error', 'true');
    logger.error({ err: e, endpoint }, `handler for '${endpoint}' threw ${e.name}: ${e.message}`);
    if (options.exitOnExceptions?.includes(e.name)) {
      setImmediate(() => {
        const onFatal =
          options.onFatal ??
          (async (fatal: Error) => {
            logger.fatal(`exiting after ${fatal.name} (listed in exitOnExceptions)`);
            await worker.close(graceDefault);
            process.exit(1);
          });
        void onFatal(e);
      });
    }
    return errorStatus(e, name);
  }

  /** Requests answered exactly as they came: the lean path sends their bytes back, encoding nothing. */
  const untouched = new WeakSet<DataRequestProto>();
  const answer = (bytes: Uint8Array, res: DataRequestProto) =>
    untouched.has(res) ? bytes : encodeDataRequest(res);

  async function handle(req: DataRequestProto, ctx: CallContext, parts?: DataRequestProto[]) {
    enter();
    try {
      const endpoint = requestEndpoint(req);
      const method = methodOf(endpoint);
      if (method === undefined) {
        untouched.add(req); // no binding: pass through unchanged
        return req;
      }
      const params = (req.parameters ?? {}) as JsonObject;
      try {
        if (isStreamingMethod(fnOf(method))) {
          throw new ExecutorDefinitionError(
            `endpoint '${endpoint}' is a streaming endpoint (${String(method)} is an async generator): call it with stream_doc`,
          );
        }
        const own = parametersFor(params, name);
        const batcher = parts ? undefined : batcherFor(endpoint, method);
        let docs: DocumentArray;
        let result: DocumentArray | JsonObject | undefined;
        if (batcher) {
          const r = await batcher.submit(docsOf(req), own, headersOf(ctx));
          docs = r.docs;
          result = r.results;
        } else {
          docs = docsOf(req);
          const rctx = contextFor(ctx, own, endpoint);
          if (parts) {
            rctx.docsMatrix = parts.map((p) => requestDocs(p));
            rctx.docsMap = Object.fromEntries(
              parts.map((p, i) => [p.routes.at(-1)?.executor ?? String(i), rctx.docsMatrix![i]!]),
            );
          }
          result = await locked(ctx.signal, async () =>
            normalizeResult(await fnOf(method).call(executor, docs, rctx)),
          );
        }
        const given = req.data?.documents.case === 'docsBytes' ? req.data.documents.value : undefined;
        if (result instanceof DocumentArray) setResponseDocs(req, result);
        else {
          setResponseDocs(req, docs);
          // A handler that returned nothing and never read its (lazy) documents changed nothing.
          if (result === undefined && given !== undefined && req.data?.documents.value === given)
            untouched.add(req);
          if (result !== undefined) {
            const results = { ...((params[RESULTS_KEY] as JsonObject | undefined) ?? {}) };
            results[runtimeName] = result;
            req.parameters = { ...params, [RESULTS_KEY]: results };
          }
        }
      } catch (err) {
        if (err instanceof ConnectError && err.code === Code.DeadlineExceeded) throw err;
        req.header ??= { $typeName: 'jina.HeaderProto', requestId: '' };
        req.header.status = fail(err, ctx, endpoint);
      }
      return req;
    } finally {
      leave();
    }
  }

  async function* streamDoc(req: SingleDocumentRequestProto, ctx: HandlerContext) {
    enter();
    try {
      const endpoint = req.header?.execEndpoint || '/';
      const method = methodOf(endpoint);
      const doc = req.document ? Document.fromProto(req.document) : new Document();
      const params = (req.parameters ?? {}) as JsonObject;
      const answer = (d: Document | undefined, failed?: unknown) =>
        create(SingleDocumentRequestProtoSchema, {
          header: {
            requestId: req.header?.requestId ?? '',
            execEndpoint: req.header?.execEndpoint,
            targetExecutor: req.header?.targetExecutor,
            ...(failed !== undefined ? { status: fail(failed, ctx, endpoint) } : {}),
          },
          parameters: params,
          routes: req.routes,
          document: d?.toProto(),
        });
      if (method === undefined) {
        yield answer(doc);
        return;
      }
      const rctx = contextFor(ctx, parametersFor(params, name), endpoint);
      const signal = rctx.signal;
      const release = mutex ? await mutex.acquire() : undefined;
      try {
        const fn = fnOf(method);
        if (isStreamingMethod(fn)) {
          const gen = fn.call(executor, doc, rctx) as AsyncGenerator<unknown>;
          try {
            for await (const item of gen) {
              if (signal.aborted) break;
              yield answer(item instanceof Document ? item : new Document(item as object));
            }
          } finally {
            await gen.return(undefined);
          }
        } else {
          const out = normalizeResult(await fn.call(executor, new DocumentArray([doc]), rctx));
          const docs = out instanceof DocumentArray ? out : new DocumentArray([doc]);
          for (const d of docs) yield answer(d);
        }
      } catch (err) {
        yield answer(undefined, err);
      } finally {
        release?.();
      }
    } finally {
      leave();
    }
  }

  const endpoints = [...bindings.keys()];

  const routes = (router: ConnectRouter) => {
    router.service(JinaSingleDataRequestRPC, {
      process_single_data: (req, ctx) => handle(req, ctx),
    });
    router.service(JinaDataRequestRPC, {
      process_data: (list, ctx) => {
        const [first] = list.requests;
        if (!first) {
          throw new ConnectError(
            'process_data: the request list is empty; send at least one DataRequestProto',
            Code.InvalidArgument,
          );
        }
        return handle(first, ctx, list.requests.length > 1 ? list.requests : undefined);
      },
    });
    router.service(JinaSingleDocumentRequestRPC, {
      stream_doc: (req, ctx) => streamDoc(req, ctx),
    });
    router.service(JinaRPC, {
      async *call(reqs, ctx) {
        for await (const req of reqs) yield await handle(req, ctx);
      },
    });
    router.service(JinaDiscoverEndpointsRPC, {
      endpoint_discovery: () => create(EndpointsProtoSchema, { endpoints }),
    });
    router.service(JinaInfoRPC, {
      _status: () => ({
        jina: { weft: VERSION, 'proto-version': '1', node: process.version, executor: cls.name },
        envs: {},
      }),
    });
    registerHealth(router, () => status);
  };

  let server: GrpcServer;
  try {
    server = await startLeanGrpcServer({
      routes,
      // The hot methods skip connect: bytes in, documents decoded once, bytes out.
      unary: {
        '/jina.JinaSingleDataRequestRPC/process_single_data': async (bytes, ctx) =>
          answer(bytes, await handle(decodeDataRequest(bytes), ctx)),
      },
      bidi: {
        '/jina.JinaRPC/Call': async function* (requests, ctx) {
          for await (const bytes of requests)
            yield answer(bytes, await handle(decodeDataRequest(bytes), ctx));
        },
      },
      port: options.port ?? 0,
      host: options.host,
      maxMessageBytes: options.maxMessageBytes,
      tls: options.tls ? grpcServerTls(options.tls) : undefined,
    });
  } catch (err) {
    await Promise.resolve()
      .then(() => executor.close())
      .catch(() => {});
    const where = `${options.host ?? '127.0.0.1'}:${options.port ?? 0}`;
    throw new ExecutorStartError(
      `executor ${cls.name} cannot listen on ${where}: ${(err as Error).message}; choose another port (0 picks a free one)`,
      { cause: err },
    );
  }
  logger.debug(
    { port: server.port, endpoints },
    `executor ${cls.name} serving at ${options.host ?? '127.0.0.1'}:${server.port}`,
  );

  let closing: Promise<void> | undefined;
  worker = {
    port: server.port,
    executor,
    name,
    runtimeName,
    endpoints,
    close(graceMs = graceDefault) {
      closing ??= (async () => {
        status = ServingStatus.NOT_SERVING;
        draining = true;
        const deadline = Date.now() + graceMs;
        const grace = new Promise<void>((r) => setTimeout(r, graceMs).unref());
        await Promise.race([Promise.all([...batchers.values()].map((b) => b.flush())), grace]);
        if (inFlight > 0) {
          await Promise.race([new Promise<void>((r) => idleWaiters.push(r)), grace]);
        }
        shutdown.abort(new Error(`the executor runtime '${runtimeName}' is shutting down`));
        await server.close(Math.max(100, Math.min(1000, deadline - Date.now())));
        try {
          await executor.close();
        } catch (err) {
          logger.error({ err }, 'executor.close() threw');
        }
        logger.debug('executor runtime closed');
      })();
      return closing;
    },
    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
  return worker;
}
