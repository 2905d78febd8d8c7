import type { JsonObject } from '@bufbuild/protobuf';
import { hostPort, parseAddress } from '@weft/core';
import { ClientConfigError, type ExecutorError } from './errors.js';
import type { ClientResponse } from './response.js';
import type { RetryOptions, RetryPolicy } from './retry.js';

/** The protocol of the gateway door the client talks to. */
export type Protocol = 'grpc' | 'http' | 'websocket' | 'grpc-web';

/** TLS settings beyond on/off (Node only: a browser uses its own trust store). */
export interface TlsOptions {
  /** CA certificate(s) (PEM) to trust instead of the system store, e.g. a private CA. @default system CAs */
  ca?: string | Uint8Array;
  /** Client certificate (PEM) for gateways that require mutual TLS. @default none */
  cert?: string | Uint8Array;
  /** Private key (PEM) of `cert`. @default none */
  key?: string | Uint8Array;
  /** Host name to verify the certificate against (SNI). @default `host` */
  serverName?: string;
  /** Verify the gateway's certificate. Turn off only in tests. @default true */
  rejectUnauthorized?: boolean;
}

/** Options of `new Client(...)`. */
export interface ClientOptions {
  /** Gateway host. @default '127.0.0.1' */
  host?: string;
  /** Gateway port (1–65535). */
  port: number;
  /**
   * Protocol of the gateway door. `grpc-web` is for gateways (or proxies in front of them) that
   * serve gRPC-web over HTTP/1.1: unary requests only, usable from browsers. @default 'grpc'
   */
  protocol?: Protocol;
  /** Use TLS; an object gives a custom CA, a client certificate or a server name. @default false */
  tls?: boolean | TlsOptions;
  /**
   * Headers sent with every call: gRPC metadata, HTTP headers, WebSocket handshake headers
   * (Node only; browsers cannot set WebSocket headers). E.g. `{ authorization: 'Bearer …' }`.
   * @default {}
   */
  headers?: Record<string, string>;
  /** Message compression on gRPC (`gzip` compresses requests and accepts gzip responses). @default 'none' */
  compression?: 'none' | 'gzip';
  /**
   * gRPC: send an HTTP/2 PING after this many ms without data on a busy connection; if none comes
   * back within the same time, the connection and its calls fail (and are retried per
   * `maxAttempts`). Detects half-open connections, e.g. to a gateway that was restarted. @default 10000
   */
  keepaliveMs?: number;
  /** Frame format on WebSocket: `json` text frames or `bytes` (serialized DataRequestProto). @default 'json' */
  websocketSubprotocol?: 'json' | 'bytes';
}

/** Callback run per response. A thrown error (or rejected promise) rejects the post. */
export type ResponseCallback = (response: ClientResponse) => void | Promise<void>;

/** Options of `Client.post` and `Client.stream`. */
export interface PostOptions extends RetryOptions {
  /** Documents per request; ≤ 0 sends everything in one request. @default 100 */
  requestSize?: number;
  /** Most requests in flight (sent and not yet consumed). @default 100 */
  prefetch?: number;
  /** Parameters for the executors (`name__key` targets executor `name`). @default {} */
  parameters?: JsonObject;
  /** Regular expression selecting the deployments that run (matched at the start of names). @default all */
  targetExecutor?: string;
  /** Called with every successful response. When given (or `onAlways`), `post` collects nothing. @default none */
  onDone?: ResponseCallback;
  /** Called with every ERROR response and its {@link ExecutorError}; the post goes on. @default none: the post rejects */
  onError?: (response: ClientResponse, error: ExecutorError) => void | Promise<void>;
  /** Called with every response after `onDone`/`onError`. @default none */
  onAlways?: ResponseCallback;
  /** `post` resolves to the responses rather than their documents. @default false */
  returnResponses?: boolean;
  /** Responses (and their documents) in input order rather than arrival order. @default false */
  resultsInOrder?: boolean;
  /** Without `onError`, skip ERROR responses instead of rejecting (their docs are left out). @default false */
  continueOnError?: boolean;
  /** gRPC only: one `JinaRPC.Call` stream per post (true) or unary `process_single_data` per request. @default true */
  stream?: boolean;
  /** Deadline of the whole post in ms; passing it rejects with DEADLINE_EXCEEDED. @default none */
  timeoutMs?: number;
  /** Aborts the post; it rejects with CANCELED. @default none */
  signal?: AbortSignal;
  /** Extra headers for this post, merged over the client's. @default {} */
  headers?: Record<string, string>;
  /** Show a progress bar (docs/s, and ETA when the input size is known) on a TTY (Node only). @default false */
  showProgress?: boolean;
  /** Number of input documents, for the progress bar's ETA when `inputs` is a generator. @default counted when known */
  inputLength?: number;
}

/** @internal */
export interface ResolvedClientOptions {
  host: string;
  port: number;
  hostPort: string;
  protocol: Protocol;
  tls: boolean;
  tlsOptions: TlsOptions;
  headers: Record<string, string>;
  compression: 'none' | 'gzip';
  websocketSubprotocol: 'json' | 'bytes';
  keepaliveMs: number;
  /** `grpcs://host:port` etc., for messages. */
  address: string;
}

const PROTOCOLS: readonly Protocol[] = ['grpc', 'http', 'websocket', 'grpc-web'];
const SCHEME_PROTOCOL = { grpc: 'grpc', http: 'http', ws: 'websocket' } as const;

/** Validates and completes client options; throws {@link ClientConfigError} naming what is wrong. */
export function normalizeClientOptions(options: ClientOptions | string): ResolvedClientOptions {
  let base: ClientOptions;
  if (typeof options === 'string') {
    let a: ReturnType<typeof parseAddress>;
    try {
      a = parseAddress(options);
    } catch (err) {
      throw new ClientConfigError(`Client: ${(err as Error).message}`, { cause: err });
    }
    base = { host: a.host, port: a.port, protocol: SCHEME_PROTOCOL[a.scheme], tls: a.tls };
  } else if (options && typeof options === 'object') {
    base = options;
  } else {
    throw new ClientConfigError(
      `Client: expected options { host, port, protocol } or an address like 'grpc://host:port', got ${typeof options}`,
    );
  }
  const port = base.port;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ClientConfigError(`Client: port ${port} is not valid; give the gateway's port (1–65535)`);
  }
  const protocol = base.protocol ?? 'grpc';
  if (!PROTOCOLS.includes(protocol)) {
    throw new ClientConfigError(
      `Client: protocol '${protocol}' is unknown; use 'grpc', 'http' or 'websocket'`,
    );
  }
  const host = base.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '' || /[/\s]/.test(host)) {
    throw new ClientConfigError(
      `Client: host '${host}' is not valid; give a host name or IP address without scheme`,
    );
  }
  const compression = base.compression ?? 'none';
  if (compression !== 'none' && compression !== 'gzip') {
    throw new ClientConfigError(`Client: compression '${compression}' is unknown; use 'none' or 'gzip'`);
  }
  const websocketSubprotocol = base.websocketSubprotocol ?? 'json';
  if (websocketSubprotocol !== 'json' && websocketSubprotocol !== 'bytes') {
    throw new ClientConfigError(
      `Client: websocketSubprotocol '${websocketSubprotocol}' is unknown; use 'json' or 'bytes'`,
    );
  }
  const keepaliveMs = base.keepaliveMs ?? 10_000;
  if (typeof keepaliveMs !== 'number' || !(keepaliveMs >= 1)) {
    throw new ClientConfigError(`Client: keepaliveMs ${keepaliveMs} is not valid; give a number of ms ≥ 1`);
  }
  const tls = base.tls === undefined ? false : base.tls !== false;
  const tlsOptions = typeof base.tls === 'object' && base.tls !== null ? base.tls : {};
  const scheme =
    { grpc: 'grpc', http: 'http', websocket: 'ws', 'grpc-web': 'http' }[protocol] + (tls ? 's' : '');
  const hp = hostPort(host, port);
  return {
    host,
    port,
    hostPort: hp,
    protocol,
    tls,
    tlsOptions,
    headers: { ...(base.headers ?? {}) },
    compression,
    websocketSubprotocol,
    keepaliveMs,
    address: `${scheme}://${hp}`,
  };
}

/** @internal */
export interface ResolvedPostOptions {
  requestSize: number;
  prefetch: number;
  retry: RetryPolicy;
  stream: boolean;
  resultsInOrder: boolean;
}

function positive(name: string, v: number | undefined, dflt: number, min = 0): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new ClientConfigError(`post: ${name} ${v} is not valid; give a number ≥ ${min}`);
  }
  return v;
}

/** Validates post options; throws {@link ClientConfigError} naming the bad option. */
export function normalizePostOptions(o: PostOptions): ResolvedPostOptions {
  if (o.requestSize !== undefined && (typeof o.requestSize !== 'number' || !Number.isInteger(o.requestSize)))
    throw new ClientConfigError(`post: requestSize ${o.requestSize} is not an integer`);
  const prefetch = positive('prefetch', o.prefetch, 100, 1);
  if (!Number.isInteger(prefetch))
    throw new ClientConfigError(`post: prefetch ${prefetch} is not an integer`);
  const maxAttempts = positive('maxAttempts', o.maxAttempts, 1, 1);
  if (!Number.isInteger(maxAttempts))
    throw new ClientConfigError(`post: maxAttempts ${maxAttempts} is not an integer`);
  if (o.timeoutMs !== undefined) positive('timeoutMs', o.timeoutMs, 0, 1);
  return {
    requestSize: o.requestSize ?? 100,
    prefetch,
    retry: {
      maxAttempts,
      initialBackoff: positive('initialBackoff', o.initialBackoff, 500),
      maxBackoff: positive('maxBackoff', o.maxBackoff, 2000),
      backoffMultiplier: positive('backoffMultiplier', o.backoffMultiplier, 1.5, 1),
    },
    stream: o.stream ?? true,
    resultsInOrder: o.resultsInOrder ?? false,
  };
}
