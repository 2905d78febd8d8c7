import { readFileSync } from 'node:fs';
import type { JsonObject } from '@bufbuild/protobuf';
import { ConfigError } from '@weft/core';
import { ServingStatus } from '@weft/core/grpc';
import pino, { type Logger } from 'pino';
import type { GraphDescription } from './graph.js';
import { grpcDoorHandlers } from './grpc-door.js';
import { startGrpcListener } from './grpc-listener.js';
import { createAccessCheck, type GatewayAuth, type ServerTls } from './access.js';
import { checkOneTls, type InternalTls, internalPoolTls } from './internal-tls.js';
import { type GatewayLimits, normalizeLimits } from './limits.js';
import { GatewayMetrics, startMonitoring } from './metrics.js';
import type { PoolOptions } from './pool.js';
import { type DeploymentOptions, Topology } from './topology.js';

/** A protocol the gateway can serve. */
export type GatewayProtocol = 'grpc' | 'http' | 'websocket';

/** Options of {@link startGateway}. */
export interface GatewayOptions {
  /** Jina graph description: `{ 'start-gateway': ['executor0'], executor0: ['end-gateway'] }`; a node with no outgoing edges is floating. */
  graph: GraphDescription;
  /** Deployment name → replica addresses (`host:port`; a DNS name stands for every address it resolves to). */
  addresses: Record<string, readonly string[]>;
  /** Deployment name → `when` filter query. @default none */
  conditions?: Record<string, JsonObject>;
  /** Deployments that get every part of a join (`docsMatrix`, needs order) instead of a reduced request. @default [] */
  noReduce?: readonly string[];
  /** Per-deployment deadline (`timeoutSend`, ms) and retry attempts. @default no deadline, max(3, replicas) attempts */
  deployments?: Record<string, DeploymentOptions>;
  /** Protocol(s) to serve, one port each. @default 'grpc' */
  protocol?: GatewayProtocol | readonly GatewayProtocol[];
  /** Port(s), one per protocol in the same order; 0 picks a free one. @default 0 */
  port?: number | readonly number[];
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /**
   * TLS on every door: PEM certificate and key files. With `caFile`, mutual TLS: every client must
   * present a certificate signed by that CA, or its handshake fails. @default plaintext
   */
  tls?: { certFile: string; keyFile: string; caFile?: string };
  /** Allow cross-origin requests on the HTTP door. @default false */
  cors?: boolean;
  /** Most requests in flight per gRPC stream or WebSocket connection. @default 1000 */
  prefetch?: number;
  /** Serve Prometheus metrics at `GET /metrics` on this port (0 picks one). @default no monitoring */
  monitoring?: { port: number };
  /** Add an HTTP route `POST /<endpoint>` for every endpoint the executors bind. @default false */
  exposeEndpoints?: boolean;
  /** Leave out `GET /status` and `GET /dry_run` on the HTTP door. @default false */
  noDebugEndpoints?: boolean;
  /** Leave out `/index`, `/search`, `/update`, `/delete` on the HTTP door. @default false */
  noCrudEndpoints?: boolean;
  /** Largest HTTP body / WebSocket frame accepted, in bytes. @default 100 MiB */
  bodyLimit?: number;
  /** Pool defaults for every deployment (per-deployment options win). */
  pool?: PoolOptions;
  /**
   * TLS towards every deployment (heads and executors that serve TLS): verify against `caFile` and,
   * with it, present `certFile` as a client certificate (mutual TLS). Sets `pool.tls`. @default plaintext
   */
  internalTls?: InternalTls;
  /** Bearer-token authentication at every door (and `/metrics` unless `publicHealth`). @default off: every request passes */
  auth?: GatewayAuth;
  /** Timeouts, connection and stream caps, and backpressure; every limit is on by default (see {@link GatewayLimits}). */
  limits?: GatewayLimits;
  /** Logger. @default pino at level 'info' on stderr */
  logger?: Logger;
}

/** A running gateway. */
export interface Gateway {
  /** Port of the first door. */
  readonly port: number;
  /** Port of each door. */
  readonly ports: Partial<Record<GatewayProtocol, number>>;
  /** Port of the monitoring server, when enabled. */
  readonly monitoringPort: number | undefined;
  /** Stops accepting requests, lets in-flight and floating ones finish (up to `graceMs`), closes connections. */
  close(graceMs?: number): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

interface Door {
  port: number;
  close(graceMs: number): Promise<void>;
}

const PROTOCOLS: readonly GatewayProtocol[] = ['grpc', 'http', 'websocket'];

function normalizeDoors(options: GatewayOptions): { protocol: GatewayProtocol; port: number }[] {
  const protocols = options.protocol === undefined ? ['grpc' as const] : [options.protocol].flat();
  if (protocols.length === 0) throw new ConfigError('protocol: give at least one of grpc, http, websocket');
  for (const p of protocols)
    if (!PROTOCOLS.includes(p))
      throw new ConfigError(`protocol '${p}' is unknown; use grpc, http or websocket`);
  if (new Set(protocols).size !== protocols.length)
    throw new ConfigError(`protocol lists '${protocols.join(', ')}': each at most once`);
  const ports = options.port === undefined ? [] : [options.port].flat();
  if (ports.length > protocols.length)
    throw new ConfigError(
      `port: ${ports.length} ports given for ${protocols.length} protocol(s); give one port per protocol`,
    );
  return protocols.map((protocol, i) => {
    const port = ports[i] ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new ConfigError(`port ${port} for ${protocol} is not an integer in 0–65535`);
    return { protocol, port };
  });
}

/**
 * Starts a gateway: the Flow's entrypoint over gRPC, HTTP and/or WebSocket, routing every request
 * through the Flow's DAG of deployments.
 *
 * @example
 * ```ts
 * const gw = await startGateway({
 *   graph: { 'start-gateway': ['encoder'], encoder: ['end-gateway'] },
 *   addresses: { encoder: ['127.0.0.1:50001'] },
 *   protocol: ['grpc', 'http'],
 *   port: [12345, 12346],
 * });
 * await gw.close();
 * ```
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const doors = normalizeDoors(options);
  const limits = normalizeLimits(options.limits);
  const access = createAccessCheck(options.auth, !!options.tls?.caFile);
  const host = options.host ?? '127.0.0.1';
  const logger =
    options.logger ??
    pino({ name: 'gateway', level: process.env.WEFT_LOG_LEVEL ?? 'info' }, pino.destination(2));
  let tls: ServerTls | undefined;
  if (options.tls) {
    try {
      tls = { cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) };
      if (options.tls.caFile) tls.ca = readFileSync(options.tls.caFile);
    } catch (err) {
      throw new ConfigError(`tls: cannot read certFile/keyFile/caFile: ${(err as Error).message}`);
    }
  }
  checkOneTls(options.internalTls, options.pool?.tls, 'gateway');
  const pool: PoolOptions | undefined = options.internalTls
    ? { ...options.pool, tls: internalPoolTls(options.internalTls, 'gateway internalTls') }
    : options.pool;
  const metrics = new GatewayMetrics();
  const topology = new Topology({
    graph: options.graph,
    addresses: options.addresses,
    conditions: options.conditions,
    noReduce: options.noReduce,
    deployments: options.deployments,
    pool,
    maxInFlight: limits.maxInFlight,
    observer: {
      ...metrics.observer(),
      onRejoin: (deployment, address) =>
        logger.info({ deployment, address }, 'replica is healthy again and back in rotation'),
    },
  });
  topology.discoverAll();
  let status = ServingStatus.SERVING;
  const started: Door[] = [];
  const ports: Partial<Record<GatewayProtocol, number>> = {};
  let monitoring: { port: number; close(): Promise<void> } | undefined;
  const common = {
    topology,
    metrics,
    host,
    tls,
    prefetch: options.prefetch,
    bodyLimit: options.bodyLimit ?? 100 * 1024 * 1024,
    logger,
    limits,
    access,
  };
  try {
    for (const { protocol, port } of doors) {
      let door: Door;
      if (protocol === 'grpc') {
        door = await startGrpcListener({
          port,
          host,
          tls,
          limits,
          access,
          maxMessageBytes: options.bodyLimit,
          ...grpcDoorHandlers(topology, { prefetch: options.prefetch, status: () => status, metrics }),
        });
      } else if (protocol === 'http') {
        // The HTTP and WebSocket doors (fastify and its plugins) load only when served: ~10 MB less
        // in a gateway with the gRPC door alone.
        const { startHttpDoor } = await import('./http-door.js');
        door = await startHttpDoor({
          ...common,
          port,
          cors: options.cors ?? false,
          exposeEndpoints: options.exposeEndpoints ?? false,
          noDebugEndpoints: options.noDebugEndpoints ?? false,
          noCrudEndpoints: options.noCrudEndpoints ?? false,
        });
      } else {
        const { startWebSocketDoor } = await import('./ws-door.js');
        door = await startWebSocketDoor({ ...common, port });
      }
      started.push(door);
      ports[protocol] = door.port;
    }
    if (options.monitoring)
      monitoring = await startMonitoring(metrics, options.monitoring.port, host, access);
  } catch (err) {
    for (const d of started) await d.close(0);
    topology.close();
    throw err;
  }
  logger.debug({ ports, deployments: topology.deployments }, 'gateway ready');
  let closing: Promise<void> | undefined;
  const gateway: Gateway = {
    port: started[0]!.port,
    ports,
    monitoringPort: monitoring?.port,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        status = ServingStatus.NOT_SERVING;
        await Promise.all(started.map((d) => d.close(graceMs)));
        await Promise.race([topology.drainFloating(), new Promise((r) => setTimeout(r, graceMs).unref())]);
        await monitoring?.close();
        topology.close();
      })();
      return closing;
    },
    [Symbol.asyncDispose]() {
      return gateway.close();
    },
  };
  return gateway;
}
