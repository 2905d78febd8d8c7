import { create, type JsonObject } from '@bufbuild/protobuf';
import type { ConnectRouter, HandlerContext } from '@connectrpc/connect';
import { DocumentArray } from '@weft/docarray';
import { RESULTS_KEY, errorStatus, requestDocs, requestEndpoint, setRequestDocs } from '@weft/core';
import { type GrpcServer, registerHealth, ServingStatus, startGrpcServer } from '@weft/core/grpc';
import {
  type DataRequestProto,
  EndpointsProtoSchema,
  JinaDataRequestRPC,
  JinaDiscoverEndpointsRPC,
  JinaInfoRPC,
  JinaRPC,
  JinaSingleDataRequestRPC,
} from '@weft/proto';
import {
  DEFAULT_ENDPOINT,
  type Executor,
  type ExecutorMetas,
  type RequestContext,
  type RuntimeArgs,
  bindingsOf,
  constructExecutor,
} from './executor.js';
import { Mutex } from './mutex.js';

/** Options of {@link serveExecutor}. */
export interface WorkerOptions {
  /** The Executor class to serve. */
  uses: new (
    args?: any,
  ) => Executor;
  /** Arguments for the executor's constructor (`uses_with`). @default `{}` */
  usesWith?: Record<string, unknown>;
  /** Metas (`uses_metas`). */
  usesMetas?: Partial<ExecutorMetas>;
  /** Deployment name; `name__key` parameters address it. @default the class name */
  name?: string;
  /** Runtime name used for `__results__`. @default `<name>/rep-0` */
  runtimeName?: string;
  /** Port to listen on; 0 picks one. @default 0 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** Allow several requests to run at once on this replica. @default false */
  allowConcurrent?: boolean;
  /** Runtime arguments handed to the executor. */
  runtimeArgs?: Partial<RuntimeArgs>;
  /** Error class names that make the runtime exit after answering (an orchestrator restarts it). */
  exitOnExceptions?: readonly string[];
  /** Called when an error listed in `exitOnExceptions` happened. @default process.exit(1) */
  onFatal?: (err: Error) => void;
}

/** A served executor. */
export interface Worker {
  readonly port: number;
  readonly executor: Executor;
  /** Stops serving: health NOT_SERVING, in-flight requests finish (up to `graceMs`), `close()` runs. */
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

/** Serves an Executor class as a gRPC microservice (all worker RPCs of the wire format). */
export async function serveExecutor(options: WorkerOptions): Promise<Worker> {
  const name = options.name ?? options.usesMetas?.name ?? options.uses.name;
  const runtimeName = options.runtimeName ?? `${name}/rep-0`;
  const executor = constructExecutor(options.uses, options.usesWith ?? {}, {
    metas: { ...options.usesMetas, name },
    runtimeArgs: { name: runtimeName, deploymentName: name, ...options.runtimeArgs },
  });
  const bindings = bindingsOf(options.uses);
  const mutex = options.allowConcurrent ? undefined : new Mutex();
  const shutdown = new AbortController();
  let status = ServingStatus.SERVING;
  let inFlight = 0;
  let idle: (() => void) | undefined;

  async function handle(req: DataRequestProto, ctx: HandlerContext, parts?: DataRequestProto[]) {
    const endpoint = requestEndpoint(req);
    const method = bindings.get(endpoint) ?? bindings.get(DEFAULT_ENDPOINT);
    if (method === undefined) return req; // no binding: pass through unchanged
    inFlight++;
    const release = mutex ? await mutex.acquire() : undefined;
    try {
      const params = (req.parameters ?? {}) as JsonObject;
      const signal = AbortSignal.any([ctx.signal, shutdown.signal]);
      const docs = requestDocs(req);
      const rctx: RequestContext = {
        parameters: parametersFor(params, name),
        endpoint,
        signal,
        headers: Object.fromEntries(ctx.requestHeader.entries()),
      };
      if (parts) {
        rctx.docsMatrix = parts.map((p) => requestDocs(p));
        rctx.docsMap = Object.fromEntries(
          parts.map((p, i) => [p.routes.at(-1)?.executor ?? String(i), rctx.docsMatrix![i]!]),
        );
      }
      try {
        const fn = (executor as unknown as Record<string | symbol, Function>)[method]!;
        const result = await fn.call(executor, docs, rctx);
        if (result instanceof DocumentArray) setRequestDocs(req, result);
        else if (Array.isArray(result)) setRequestDocs(req, new DocumentArray(result));
        else {
          setRequestDocs(req, docs);
          if (result !== undefined && result !== null && typeof result === 'object') {
            const results = { ...((params[RESULTS_KEY] as JsonObject | undefined) ?? {}) };
            results[runtimeName] = result as JsonObject;
            req.parameters = { ...params, [RESULTS_KEY]: results };
          }
        }
      } catch (err) {
        req.header ??= { $typeName: 'jina.HeaderProto', requestId: '' };
        req.header.status = errorStatus(err, name);
        ctx.responseTrailer.set('is-error', 'true');
        const e = err instanceof Error ? err : new Error(String(err));
        if (options.exitOnExceptions?.includes(e.name)) {
          setImmediate(() => (options.onFatal ?? (() => process.exit(1)))(e));
        }
      }
      return req;
    } finally {
      release?.();
      inFlight--;
      if (inFlight === 0) idle?.();
    }
  }

  const endpoints = [...bindings.keys()];

  const routes = (router: ConnectRouter) => {
    router.service(JinaSingleDataRequestRPC, {
      process_single_data: (req, ctx) => handle(req, ctx),
    });
    router.service(JinaDataRequestRPC, {
      process_data: (list, ctx) => {
        const [first, ...rest] = list.requests;
        if (!first) throw new Error('process_data: the request list is empty');
        return handle(first, ctx, rest.length ? list.requests : undefined);
      },
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
        jina: { weft: '0.1.0', 'proto-version': '1', node: process.version },
        envs: {},
      }),
    });
    registerHealth(router, () => status);
  };

  const server: GrpcServer = await startGrpcServer({ routes, port: options.port ?? 0, host: options.host });
  let closing: Promise<void> | undefined;
  return {
    port: server.port,
    executor,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        status = ServingStatus.NOT_SERVING;
        if (inFlight > 0) {
          await Promise.race([
            new Promise<void>((r) => {
              idle = r;
            }),
            new Promise((r) => setTimeout(r, graceMs).unref()),
          ]);
        }
        shutdown.abort(new Error('the executor runtime is shutting down'));
        await server.close(1000);
        await executor.close();
      })();
      return closing;
    },
  };
}
