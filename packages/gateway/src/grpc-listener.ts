import type * as http2 from 'node:http2';
import { Code, type ConnectRouter, ConnectError } from '@connectrpc/connect';
import {
  type ConnectNodeHandler,
  type LeanBidiHandler,
  type LeanUnaryHandler,
  startLeanGrpcServer,
} from '@weft/core/grpc';
import { type AccessCheck, type ServerTls, serverTlsOptions } from './access.js';
import { type GatewayLimits, guardSession } from './limits.js';

// The gRPC door's HTTP/2 server: @weft/core's lean server (the hot RPCs over raw bytes, connect
// for the rest), with the gateway's access check and limits. One difference for the connect-served
// paths: connect reports a request message that does not decode as INTERNAL; at a door that is the
// client's fault, so a call that failed with INTERNAL before reaching a handler is answered
// INVALID_ARGUMENT instead (as is UNIMPLEMENTED for a unary call that sent no message).

/** Request header by which {@link markHandled} finds its call (set here; a client's value is replaced). */
const CALL_HEADER = 'x-weft-door-call';
const reached = new Map<string, { handled: boolean }>();
let nextCall = 0;

/** Marks the call as having reached a service handler (its message decoded). */
export function markHandled(requestHeader: Headers): void {
  const id = requestHeader.get(CALL_HEADER);
  const s = id === null ? undefined : reached.get(id);
  if (s) s.handled = true;
}

/** Options of {@link startGrpcListener}. */
export interface GrpcListenerOptions {
  /** Connect-served services: every path without a lean handler. */
  routes: (router: ConnectRouter) => void;
  /** Lean unary handlers by path. */
  unary?: Readonly<Record<string, LeanUnaryHandler>>;
  /** Lean bidi handlers by path. */
  bidi?: Readonly<Record<string, LeanBidiHandler>>;
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
  const { access, limits } = options;
  const authorize = access
    ? (headers: http2.IncomingHttpHeaders, stream: http2.ServerHttp2Stream) => {
        const path = headers[':path'] ?? '';
        if (access.publicHealth && path.startsWith('/grpc.health.v1.Health/')) return undefined;
        return access
          .refuse(
            headers.authorization,
            'grpc',
            stream.session?.socket?.remoteAddress,
            stream.session?.socket,
          )
          .then((why) =>
            why === undefined ? undefined : new ConnectError(`unauthenticated: ${why}`, Code.Unauthenticated),
          );
      }
    : undefined;
  const wrapConnect =
    (adapter: ConnectNodeHandler): ConnectNodeHandler =>
    (req, res) => {
      const id = String(++nextCall);
      const state = { handled: false };
      reached.set(id, state);
      req.headers[CALL_HEADER] = id;
      res.once('close', () => reached.delete(id));
      const addTrailers = res.addTrailers.bind(res);
      res.addTrailers = (headers) => {
        // 13: the message did not decode; 12: a unary call without its message.
        const code = headers['grpc-status'];
        if (!state.handled && (code === '13' || code === '12')) headers['grpc-status'] = '3';
        addTrailers(headers);
      };
      adapter(req, res);
    };
  return startLeanGrpcServer({
    routes: options.routes,
    unary: options.unary,
    bidi: options.bidi,
    port: options.port,
    host: options.host,
    maxMessageBytes: options.maxMessageBytes,
    tls: options.tls ? serverTlsOptions(options.tls, limits.headersTimeoutMs) : undefined,
    maxConcurrentStreams: limits.maxConcurrentStreams,
    maxConnections: limits.maxConnections,
    // As before the lean server: room for the door's 100 MiB messages.
    maxSessionMemoryMb: 1024,
    malformedRequestCode: Code.InvalidArgument,
    onSession: (s) => guardSession(s, limits),
    authorize,
    wrapConnect,
  });
}
