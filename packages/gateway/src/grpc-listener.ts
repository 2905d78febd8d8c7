import { AsyncLocalStorage } from 'node:async_hooks';
import type { ConnectRouter } from '@connectrpc/connect';
import { type GrpcServer, startLeanGrpcServer } from '@weft/core/grpc';

// The gateway's gRPC listener is @weft/core's lean server, with one difference:
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
  tls?: { cert: Buffer; key: Buffer };
}

/** Starts the gRPC door's HTTP/2 server: the lean server of `@weft/core/grpc`, with connect's parse failures answered as client errors. */
export function startGrpcListener(options: GrpcListenerOptions): Promise<GrpcServer> {
  return startLeanGrpcServer({
    routes: options.routes,
    port: options.port,
    host: options.host,
    maxMessageBytes: options.maxMessageBytes,
    tls: options.tls,
    wrapConnect: (adapter) => (req, res) => {
      const state = { handled: false };
      const addTrailers = res.addTrailers.bind(res);
      res.addTrailers = (headers) => {
        // 13: the message did not decode; 12: a unary call without its message.
        const code = headers['grpc-status'];
        if (!state.handled && (code === '13' || code === '12')) headers['grpc-status'] = '3';
        addTrailers(headers);
      };
      reached.run(state, () => adapter(req, res));
    },
  });
}
