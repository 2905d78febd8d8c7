import { create } from '@bufbuild/protobuf';
import type { ConnectRouter } from '@connectrpc/connect';
import { ConfigError, isErrorResponse, requestEndpoint } from '@weft/core';
import {
  type GrpcServer,
  readTlsFiles,
  registerHealth,
  ServingStatus,
  grpcServerTls,
  startGrpcServer,
} from '@weft/core/grpc';
import {
  type DataRequestProto,
  EndpointsProtoSchema,
  JinaDataRequestRPC,
  JinaDiscoverEndpointsRPC,
  JinaInfoRPC,
  JinaRPC,
  JinaSingleDataRequestRPC,
} from '@weft/proto';
import { checkOneTls, type InternalTls, internalPoolTls } from './internal-tls.js';
import { DeploymentPool, type PoolOptions } from './pool.js';
import { reduceRequests } from './reduce.js';

/** How a head sends a request to its shards: ANY one shard, or ALL shards then reduce. */
export type Polling = 'ANY' | 'ALL';

/** Options of {@link startHead}. */
export interface HeadOptions {
  /** Deployment name (used in error messages). */
  name: string;
  /** Port to listen on; 0 picks one. @default 0 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** Replica addresses (`host:port`) of each shard, in shard order. */
  shards: readonly (readonly string[])[];
  /** Polling for every endpoint, or per endpoint with key `'*'` as the default. @default 'ANY' */
  polling?: Polling | Record<string, Polling>;
  /** Addresses of the executor run before fan-out. @default none */
  usesBefore?: readonly string[];
  /** Addresses of the executor run after gather; it gets every shard's part (`docsMatrix`) and replaces the built-in reduce. @default none */
  usesAfter?: readonly string[];
  /** Deadline of one call to a shard replica, in ms. @default none */
  timeoutSend?: number;
  /** Attempts across replicas of one shard. @default max(3, replicas) */
  retries?: number;
  /** Pool options towards shards (TLS, selection). */
  pool?: PoolOptions;
  /**
   * Internal TLS: serve gRPC over TLS with `certFile`/`keyFile` and call the shards over TLS. With
   * `caFile`, mutual: callers must present a certificate signed by it, and the head presents its
   * own to the shards. Sets `pool.tls`. @default plaintext
   */
  tls?: InternalTls;
}

/** A running head. */
export interface Head {
  /** The port the head listens on: the deployment's address for the gateway. */
  readonly port: number;
  /** Stops accepting requests, lets in-flight ones finish (up to `graceMs`), closes shard connections. */
  close(graceMs?: number): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

function normalizePolling(p: HeadOptions['polling']): (endpoint: string) => Polling {
  const check = (v: unknown, where: string): Polling => {
    if (v !== 'ANY' && v !== 'ALL')
      throw new ConfigError(`polling${where}: '${String(v)}' must be 'ANY' or 'ALL'`);
    return v;
  };
  if (p === undefined) return () => 'ANY';
  if (typeof p === 'string') {
    const v = check(p, '');
    return () => v;
  }
  const map = new Map(Object.entries(p).map(([k, v]) => [k, check(v, `['${k}']`)]));
  const fallback = map.get('*') ?? 'ANY';
  return (endpoint) => map.get(endpoint) ?? fallback;
}

/**
 * Starts a head: the single address of a sharded deployment. It speaks the same worker RPCs as an
 * executor, sends each request to ANY one shard or ALL shards (then reduces, or hands every part
 * to `usesAfter`), with an optional `usesBefore` executor in front.
 *
 * @example
 * ```ts
 * const head = await startHead({
 *   name: 'indexer',
 *   shards: [['127.0.0.1:50001'], ['127.0.0.1:50002']],
 *   polling: { '/search': 'ALL', '*': 'ANY' },
 * });
 * ```
 */
export async function startHead(options: HeadOptions): Promise<Head> {
  if (!options.shards.length)
    throw new ConfigError(`head '${options.name}': shards is empty; give each shard's replica addresses`);
  const polling = normalizePolling(options.polling);
  const where = `head '${options.name}'`;
  checkOneTls(options.tls, options.pool?.tls, where);
  const tls = options.tls ? readTlsFiles(options.tls, `${where} tls`) : undefined;
  const poolOptions: PoolOptions = {
    ...options.pool,
    ...(options.tls ? { tls: internalPoolTls(options.tls, `${where} tls`) } : {}),
    timeoutSend: options.timeoutSend,
    retries: options.retries,
  };
  const shards = options.shards.map(
    (addrs, i) => new DeploymentPool(`${options.name}/shard-${i}`, addrs, poolOptions),
  );
  const before = options.usesBefore?.length
    ? new DeploymentPool(`${options.name}/uses-before`, options.usesBefore, poolOptions)
    : undefined;
  const after = options.usesAfter?.length
    ? new DeploymentPool(`${options.name}/uses-after`, options.usesAfter, poolOptions)
    : undefined;
  const all = [...shards, ...(before ? [before] : []), ...(after ? [after] : [])];
  let next = 0;
  let status = ServingStatus.SERVING;

  async function handle(
    input: DataRequestProto | DataRequestProto[],
    signal: AbortSignal,
  ): Promise<DataRequestProto> {
    let req: DataRequestProto | DataRequestProto[] = input;
    if (before) {
      const res = await before.send(req, { signal });
      if (isErrorResponse(res)) return res;
      req = res;
    }
    const first = Array.isArray(req) ? req[0]! : req;
    const mode = shards.length === 1 ? 'ANY' : polling(requestEndpoint(first));
    let parts: DataRequestProto[];
    if (mode === 'ANY') {
      const shard = shards[next++ % shards.length]!;
      parts = [await shard.send(req, { signal })];
    } else {
      parts = await Promise.all(shards.map((s) => s.send(req, { signal })));
    }
    const failed = parts.find(isErrorResponse);
    if (failed) return failed;
    if (after) return after.send(parts.length === 1 ? parts[0]! : parts, { signal });
    return reduceRequests(parts);
  }

  const routes = (router: ConnectRouter) => {
    router.service(JinaSingleDataRequestRPC, { process_single_data: (req, ctx) => handle(req, ctx.signal) });
    router.service(JinaDataRequestRPC, {
      process_data: (list, ctx) =>
        handle(list.requests.length === 1 ? list.requests[0]! : list.requests, ctx.signal),
    });
    router.service(JinaRPC, {
      async *call(reqs, ctx) {
        for await (const req of reqs) yield await handle(req, ctx.signal);
      },
    });
    router.service(JinaDiscoverEndpointsRPC, {
      async endpoint_discovery() {
        const lists = await Promise.all(shards.map((s) => s.discoverEndpoints()));
        const endpoints = new Set<string>();
        for (const l of lists) for (const e of l ?? []) endpoints.add(e);
        return create(EndpointsProtoSchema, { endpoints: [...endpoints] });
      },
    });
    router.service(JinaInfoRPC, {
      _status: () => ({
        jina: { weft: '0.1.0', 'proto-version': '1', node: process.version, runtime: 'head' },
        envs: {},
      }),
    });
    registerHealth(router, () => status);
  };
  let server: GrpcServer;
  try {
    // Plaintext, TLS, or (with a CA) mutual TLS.
    server = await startGrpcServer({
      routes,
      port: options.port ?? 0,
      host: options.host,
      ...(tls ? { tls: grpcServerTls(tls) } : {}),
    });
  } catch (err) {
    for (const p of all) p.close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  const head: Head = {
    port: server.port,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        status = ServingStatus.NOT_SERVING;
        await server.close(graceMs);
        for (const p of all) p.close();
      })();
      return closing;
    },
    [Symbol.asyncDispose]: () => head.close(),
  };
  return head;
}
