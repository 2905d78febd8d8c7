import { type GrpcServer, ServingStatus, startGrpcServer } from '@weft/core/grpc';
import { grpcDoorRoutes } from './grpc-door.js';
import type { GraphDescription } from './graph.js';
import type { PoolOptions } from './pool.js';
import { Topology } from './topology.js';

/** Options of {@link startGateway}. */
export interface GatewayOptions {
  /** Jina graph description: `{ 'start-gateway': ['executor0'], executor0: ['end-gateway'] }`. */
  graph: GraphDescription;
  /** Deployment name → replica addresses (`host:port`). */
  addresses: Record<string, readonly string[]>;
  /** Port of the gRPC door; 0 picks one. @default 0 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** Most requests in flight per client stream. @default 1000 */
  prefetch?: number;
  /** Deadline and retries towards executors. */
  pool?: PoolOptions;
}

/** A running gateway. */
export interface Gateway {
  /** Port of the gRPC door. */
  readonly port: number;
  /** Stops accepting requests, lets in-flight ones finish (up to `graceMs`), closes connections. */
  close(graceMs?: number): Promise<void>;
}

/** Starts a gateway serving the Flow's entry over gRPC. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const topology = new Topology({ graph: options.graph, addresses: options.addresses, pool: options.pool });
  let status = ServingStatus.SERVING;
  let server: GrpcServer;
  try {
    server = await startGrpcServer({
      port: options.port ?? 0,
      host: options.host,
      routes: grpcDoorRoutes(topology, { prefetch: options.prefetch, status: () => status }),
    });
  } catch (err) {
    topology.close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    port: server.port,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        status = ServingStatus.NOT_SERVING;
        await server.close(graceMs);
        topology.close();
      })();
      return closing;
    },
  };
}
