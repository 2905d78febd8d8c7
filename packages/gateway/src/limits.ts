import type * as http2 from 'node:http2';
import { Code, ConnectError } from '@connectrpc/connect';
import { ConfigError } from '@weft/core';

/**
 * Limits that protect a gateway from slow, idle, greedy or too many clients. Every limit is on by
 * default; each may be changed. See docs/reliability.md for what each guards against.
 */
export interface GatewayLimits {
  /** Time a new connection has to send its first request's headers (HTTP request, WebSocket upgrade, gRPC preface and first stream), ms. @default 10000 */
  headersTimeoutMs?: number;
  /** Time an HTTP client has to send its whole request (headers and body), ms. @default 300000 */
  requestTimeoutMs?: number;
  /** A connection with nothing in flight and no traffic for this long is closed (gRPC session, HTTP keep-alive, WebSocket), ms. @default 120000 */
  idleTimeoutMs?: number;
  /** Open connections per door; further ones are closed at once. @default 10000 */
  maxConnections?: number;
  /** Concurrent streams per gRPC connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS). @default 1000 */
  maxConcurrentStreams?: number;
  /** Requests in flight in the whole gateway; further ones get RESOURCE_EXHAUSTED / HTTP 429 / WebSocket close 1013 at once. @default 10000 */
  maxInFlight?: number;
  /**
   * Requests one HTTP/1.1 keep-alive connection may carry (HTTP door; node's
   * `server.maxRequestsPerSocket`): the last answer says `connection: close`, so clients reconnect
   * (and a load balancer can spread them again); a request pipelined past it gets 503. @default 1000
   */
  maxRequestsPerConnection?: number;
  /**
   * Open WebSocket connections at the WebSocket door, apart from `maxConnections`: an upgrade past
   * it is accepted and closed at once with 1013 (try again later) and a reason naming this limit.
   * Long-lived WebSockets hold memory and file descriptors; keeping this below `maxConnections`
   * leaves connection slots to answer the refused, and file descriptors for the other doors.
   * @default 5000
   */
  maxWebSocketConnections?: number;
}

/** The defaults of {@link GatewayLimits}. */
export const DEFAULT_LIMITS: Readonly<Required<GatewayLimits>> = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  idleTimeoutMs: 120_000,
  maxConnections: 10_000,
  maxConcurrentStreams: 1000,
  maxInFlight: 10_000,
  maxRequestsPerConnection: 1000,
  maxWebSocketConnections: 5000,
});

/** Fills in defaults and checks every value (a positive integer). */
export function normalizeLimits(limits: GatewayLimits = {}): Required<GatewayLimits> {
  const out = { ...DEFAULT_LIMITS, ...limits };
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isInteger(v) || v < 1)
      throw new ConfigError(
        `limits.${k}: ${v} is not a positive integer; omit it for the default ${DEFAULT_LIMITS[k as keyof GatewayLimits]}`,
      );
  }
  if (out.requestTimeoutMs < out.headersTimeoutMs)
    throw new ConfigError(
      `limits.requestTimeoutMs (${out.requestTimeoutMs}) must be at least limits.headersTimeoutMs (${out.headersTimeoutMs})`,
    );
  return out;
}

/** Thrown when the gateway has `maxInFlight` requests in flight: the client should back off and retry. */
export class OverloadedError extends ConnectError {
  // connect recognises its errors by name ('ConnectError'), so this class keeps it and is told apart by a brand.
  readonly overloaded = true;
  static override [Symbol.hasInstance](v: unknown): boolean {
    return typeof v === 'object' && v !== null && (v as { overloaded?: unknown }).overloaded === true;
  }
  constructor(maxInFlight: number) {
    super(
      `the gateway is at its limit of ${maxInFlight} requests in flight (limits.maxInFlight); retry later with backoff`,
      Code.ResourceExhausted,
    );
  }
}

/** Counts requests in flight across every door and refuses those beyond the limit. */
export class Admission {
  #inFlight = 0;
  constructor(readonly max: number) {}

  /** Requests in flight now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Runs `work` if there is room, else throws {@link OverloadedError} without running it. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#inFlight >= this.max) throw new OverloadedError(this.max);
    this.#inFlight++;
    try {
      return await work();
    } finally {
      this.#inFlight--;
    }
  }
}

/**
 * Applies the header and idle timeouts to one gRPC (HTTP/2) session: a session that has not opened
 * a stream within `headersTimeoutMs`, or that has no stream open and no traffic for
 * `idleTimeoutMs`, is closed (GOAWAY) and destroyed shortly after.
 */
export function guardSession(s: http2.ServerHttp2Session, limits: Required<GatewayLimits>): void {
  let open = 0;
  let sawStream = false;
  const cut = () => {
    if (s.closed || s.destroyed) return;
    s.close();
    setTimeout(() => s.destroy(), 1000).unref();
  };
  const first = setTimeout(() => {
    if (!sawStream) cut();
  }, limits.headersTimeoutMs);
  first.unref();
  s.on('stream', (stream) => {
    sawStream = true;
    clearTimeout(first);
    open++;
    stream.once('close', () => open--);
    stream.once('finish', () => discardRestOfRequest(stream));
  });
  s.setTimeout(limits.idleTimeoutMs, () => {
    if (open === 0) cut();
  });
  s.once('close', () => clearTimeout(first));
}

/**
 * Called once the response of `stream` is complete (its writable side finished). If the client is
 * still sending (e.g. the rest of a message over `bodyLimit`, refused with RESOURCE_EXHAUSTED
 * before it was read), its data is read and dropped until the client ends the stream.
 *
 * Without this, the stream is never destroyed: connect-node reads the request through an async
 * iterator over node's compat `Http2ServerRequest` and abandons it at the limit; the compat
 * request then stops reading the stream (backpressure) with data buffered, so the stream never
 * emits 'end', node never destroys it, and the stream, its request/response objects and the
 * handler's pending promises stay alive (about 32 KiB per refused message), as does the session:
 * it does not even close when the client's socket goes away. See docs/reliability.md (case 7).
 */
export function discardRestOfRequest(stream: http2.ServerHttp2Stream): void {
  if (stream.destroyed || stream.readableEnded) return;
  // The compat layer's 'data' listener would buffer into a request nobody reads: drop it.
  stream.removeAllListeners('data');
  stream.on('data', () => {});
  stream.resume();
}
