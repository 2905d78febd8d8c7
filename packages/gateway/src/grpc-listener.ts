import { AsyncLocalStorage } from 'node:async_hooks';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { DEFAULT_MAX_MESSAGE_BYTES, HTTP2_WINDOW_BYTES } from '@weft/core/grpc';
import { type GatewayLimits, guardSession } from './limits.js';
import { type AccessCheck, type ServerTls, serverTlsOptions } from './access.js';

// The gateway's own HTTP/2 listener (like @weft/core's startGrpcServer), with one difference:
// connect reports a request message that does not decode as INTERNAL; at a door that is the
// client's fault, so a call that failed with INTERNAL before reaching a handler is answered
// INVALID_ARGUMENT instead (as is UNIMPLEMENTED for a unary call that sent no message).

const reached = new AsyncLocalStorage<{ handled: boolean }>();

/** Marks the current call as having reached a service handler (its message decoded). */
export function markHandled(): void {
  const s = reached.getStore();
  if (s) s.handled = true;
}

/** Options of {@link startGrpcListener}. */
export interface GrpcListenerOptions {
  routes: (router: ConnectRouter) => void;
  port: number;
  host: string;
  maxMessageBytes?: number;
  tls?: ServerTls;
  limits: Required<GatewayLimits>;
  /** Bearer-token check; undefined = open. */
  access?: AccessCheck;
}

/** Starts the gRPC door's HTTP/2 server. */
export async function startGrpcListener(options: GrpcListenerOptions) {
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const adapter = connectNodeAdapter({
    routes: options.routes,
    grpc: true,
    grpcWeb: false,
    connect: false,
    acceptCompression: [],
    readMaxBytes: maxBytes,
    writeMaxBytes: maxBytes,
  });
  const access = options.access;
  const handler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
    if (access && !(access.publicHealth && req.url.startsWith('/grpc.health.v1.Health/'))) {
      void access
        .refuse(req.headers.authorization, 'grpc', req.socket?.remoteAddress, req.stream.session?.socket)
        .then((why) => {
          if (why === undefined) return serve(req, res);
          // Trailers-only UNAUTHENTICATED: nothing of the request is read or routed.
          if (res.stream.destroyed) return;
          res.stream.respond(
            {
              ':status': 200,
              'content-type': 'application/grpc',
              'grpc-status': '16',
              'grpc-message': encodeURIComponent(`unauthenticated: ${why}`),
            },
            { endStream: true },
          );
        });
      return;
    }
    serve(req, res);
  };
  const serve = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
    const state = { handled: false };
    const addTrailers = res.addTrailers.bind(res);
    res.addTrailers = (headers) => {
      // 13: the message did not decode; 12: a unary call without its message.
      const code = headers['grpc-status'];
      if (!state.handled && (code === '13' || code === '12')) headers['grpc-status'] = '3';
      addTrailers(headers);
    };
    reached.run(state, () => adapter(req, res));
  };
  const { limits } = options;
  const settings: http2.Settings = {
    maxConcurrentStreams: limits.maxConcurrentStreams,
    initialWindowSize: HTTP2_WINDOW_BYTES,
  };
  const common = { settings, maxSessionMemory: 1024 };
  const server = options.tls
    ? http2.createSecureServer(
        { ...common, ...serverTlsOptions(options.tls, limits.headersTimeoutMs), allowHTTP1: false },
        handler,
      )
    : http2.createServer(common, handler);
  server.maxConnections = limits.maxConnections;
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    guardSession(s, limits);
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
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close(graceMs = 5000): Promise<void> {
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
