import { Code } from '@connectrpc/connect';
import { fetch as undiciFetch, Pool, WebSocket as UndiciWebSocket } from 'undici';
import { TransportError, tlsErrorOf } from './errors.js';
import { createGrpcWebTransport } from './grpc-web-transport.js';
import { createHttpTransport, type FetchLike } from './http-transport.js';
import type { ResolvedClientOptions } from './options.js';
import { expectsTlsError, speaksTls, tlsHandshakeError } from './tls-probe.js';
import type { ClientTransport } from './transport.js';
import { createWebSocketTransport, type WebSocketLike } from './ws-transport.js';

function tlsConnectOptions(o: ResolvedClientOptions) {
  const t = o.tlsOptions;
  return {
    ...(t.ca !== undefined ? { ca: t.ca as string } : {}),
    ...(t.cert !== undefined ? { cert: t.cert as string } : {}),
    ...(t.key !== undefined ? { key: t.key as string } : {}),
    ...(t.serverName !== undefined ? { servername: t.serverName } : {}),
    ...(t.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
  };
}

/**
 * The connection pool to the gateway. A `Pool` for its one origin rather than an `Agent`: once a
 * server closes a keep-alive connection (e.g. the gateway's `limits.maxRequestsPerConnection`),
 * undici 7.10+ Agents stop reusing connections, one connection per request from then on
 * (nodejs/undici#5022); a Pool keeps reusing them.
 */
function agentFor(o: ResolvedClientOptions): Pool {
  return new Pool(`${o.tls ? 'https' : 'http'}://${o.hostPort}`, {
    keepAliveTimeout: 30_000,
    connect: o.tls ? tlsConnectOptions(o) : {},
  });
}

/** Turns a low-level network failure into a TLS or a retryable UNAVAILABLE error. */
async function networkError(o: ResolvedClientOptions, err: unknown, signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return err;
  const tls = tlsErrorOf(err, { address: o.address, tls: o.tls });
  if (tls) return tls;
  if (!o.tls && (await speaksTls(o.host, o.port))) return expectsTlsError(o.address, err);
  const cause = (err as { cause?: { message?: string; code?: string } })?.cause;
  const text = cause?.message ?? (err as Error)?.message ?? String(err);
  return new TransportError(`${o.address}: [Unavailable] ${text}`, Code.Unavailable, {
    cause: err,
    serverMessage: text,
  });
}

/** HTTP transport for Node: undici's fetch with an agent carrying the TLS options. */
export function createNodeHttpTransport(o: ResolvedClientOptions): ClientTransport {
  const agent = agentFor(o);
  const f: FetchLike = async (url, init) => {
    try {
      return await undiciFetch(url, { ...init, dispatcher: agent });
    } catch (err) {
      throw await networkError(o, err, init.signal);
    }
  };
  return createHttpTransport(o, f, () => void agent.close().catch(() => {}));
}

/** WebSocket transport for Node: undici's WebSocket with handshake headers and TLS options. */
export function createNodeWebSocketTransport(o: ResolvedClientOptions): ClientTransport {
  const agent = agentFor(o);
  return createWebSocketTransport(
    o,
    (url, subprotocol, headers) =>
      new UndiciWebSocket(url, {
        protocols: [subprotocol],
        dispatcher: agent,
        headers,
      }) as unknown as WebSocketLike,
    undefined,
    () => void agent.close().catch(() => {}),
    async (err) => {
      if (!o.tls) return (await speaksTls(o.host, o.port)) ? expectsTlsError(o.address, err) : err;
      return (
        (await tlsHandshakeError(o.host, o.port, tlsConnectOptions(o), { address: o.address, tls: true })) ??
        err
      );
    },
  );
}

/** gRPC-web transport for Node: undici's fetch with the TLS agent. */
export function createNodeGrpcWebTransport(o: ResolvedClientOptions): ClientTransport {
  const agent = agentFor(o);
  const f = (async (url: string, init: RequestInit) => {
    try {
      return await undiciFetch(url, { ...(init as object), dispatcher: agent } as never);
    } catch (err) {
      throw await networkError(o, err, init.signal ?? new AbortController().signal);
    }
  }) as unknown as typeof fetch;
  const t = createGrpcWebTransport(o, f);
  return { ...t, close: () => void agent.close().catch(() => {}) };
}
