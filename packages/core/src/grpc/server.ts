import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';

/** Default largest message a Weft gRPC server or client accepts: 256 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/** HTTP/2 stream and connection window used on every Weft hop (large tensors move in few round trips). */
export const HTTP2_WINDOW_BYTES = 16 * 1024 * 1024;

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
  /** TLS certificate and key (PEM); plaintext h2c when absent. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Most concurrent streams per connection. @default 1000 */
  maxConcurrentStreams?: number;
}

/** A running gRPC server. */
export interface GrpcServer {
  /** The port it listens on. */
  readonly port: number;
  /** Stops accepting connections, waits up to `graceMs` for open streams, then destroys sessions. */
  close(graceMs?: number): Promise<void>;
}

/** Starts an HTTP/2 gRPC server (connect-node, gRPC protocol only, no compression). */
export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcServer> {
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const handler = connectNodeAdapter({
    routes: options.routes,
    grpc: true,
    grpcWeb: false,
    connect: false,
    acceptCompression: [],
    readMaxBytes: maxBytes,
    writeMaxBytes: maxBytes,
  });
  const settings: http2.Settings = {
    maxConcurrentStreams: options.maxConcurrentStreams ?? 1000,
    initialWindowSize: HTTP2_WINDOW_BYTES,
  };
  const common = { settings, maxSessionMemory: 1024 };
  const server = options.tls
    ? http2.createSecureServer(
        { ...common, cert: options.tls.cert, key: options.tls.key, allowHTTP1: false },
        handler,
      )
    : http2.createServer(common, handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
    s.on('error', () => {});
    try {
      s.setLocalWindowSize(HTTP2_WINDOW_BYTES);
    } catch {
      // session already gone
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    port,
    close(graceMs = 5000) {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          for (const s of sessions) s.destroy();
        }, graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        for (const s of sessions) s.close();
      });
      return closing;
    },
  };
}
