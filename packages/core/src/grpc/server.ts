import type { ConnectRouter } from '@connectrpc/connect';
import { type LeanServerTls, startLeanGrpcServer } from './lean-server.js';
import type { GrpcServer } from './settings.js';

export { DEFAULT_MAX_MESSAGE_BYTES, HTTP2_WINDOW_BYTES } from './settings.js';
export type { GrpcServer } from './settings.js';

/** Options of {@link startGrpcServer}. */
export interface GrpcServerOptions {
  /** Registers the services. */
  routes: (router: ConnectRouter) => void;
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** Largest message accepted or sent. @default 256 MiB */
  maxMessageBytes?: number;
  /** TLS certificate and key (PEM), and any other secure-server option (`grpcServerTls()` gives mutual TLS); plaintext h2c when absent. */
  tls?: LeanServerTls;
  /** Most concurrent streams per connection. @default 1000 */
  maxConcurrentStreams?: number;
}

/**
 * Starts an HTTP/2 gRPC server whose every service is served by connect-node (gRPC protocol only,
 * no compression): the lean server of {@link startLeanGrpcServer} without lean handlers.
 */
export function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServer> {
  return startLeanGrpcServer(options);
}
