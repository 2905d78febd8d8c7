import { Code, ConnectError } from '@connectrpc/connect';
import type { DataRequestProto } from '@weft/proto';

export { Code };

/**
 * Base class of every error the client throws or passes to `onError`:
 *
 * - {@link TransportError}: the request did not get an answer (connect `Code` kept, e.g.
 *   `UNAVAILABLE`, `DEADLINE_EXCEEDED`, `CANCELED`); retried when `maxAttempts` > 1 and retryable.
 *   - {@link TlsError}: TLS misconfiguration (wrong CA, plaintext against TLS, bad client
 *     certificate); never retried.
 * - {@link ExecutorError}: the gateway answered, but an executor's handler threw; carries the
 *   response. Never retried.
 * - {@link ClientConfigError}: invalid options or address, thrown synchronously.
 */
export class ClientError extends Error {
  override name = 'ClientError';
  /** The connect status code that best describes the failure. */
  readonly code: Code;

  constructor(message: string, code: Code, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * No answer came from the gateway: it could not be reached, the deadline passed, the call was
 * aborted, or the gateway reported a transport-level status (e.g. UNAVAILABLE when a deployment is
 * down). `code` is the connect `Code`; `serverMessage` the gateway's own text when it sent one.
 */
export class TransportError extends ClientError {
  override name = 'TransportError';
  /** The message the server (or the local transport) gave, without our prefix. */
  readonly serverMessage: string;
  /** Whether a retry may succeed (UNAVAILABLE and connection failures). */
  readonly retryable: boolean;

  constructor(
    message: string,
    code: Code,
    options: { cause?: unknown; serverMessage?: string; retryable?: boolean } = {},
  ) {
    super(message, code, { cause: options.cause });
    this.serverMessage = options.serverMessage ?? message;
    this.retryable = options.retryable ?? code === Code.Unavailable;
  }
}

/**
 * TLS is misconfigured between client and gateway: an untrusted certificate (give the CA with
 * `tls.ca`), a host name mismatch (`tls.serverName`), plaintext against a TLS gateway (use
 * `grpcs://`, `https://`, `wss://` or `tls: true`) or TLS against a plaintext one. Never retried.
 */
export class TlsError extends TransportError {
  override name = 'TlsError';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, Code.Unavailable, { cause: options.cause, retryable: false });
  }
}

/** Invalid client options or address; thrown synchronously by the constructor or a call. */
export class ClientConfigError extends ClientError {
  override name = 'ClientConfigError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, Code.InvalidArgument, options);
  }
}

/**
 * An executor's handler threw: the response carries an ERROR status. Passed to `onError`, or
 * thrown by `post` when there is no `onError` and `continueOnError` is off. Never retried.
 */
export class ExecutorError extends ClientError {
  override name = 'ExecutorError';
  /** The response with the ERROR status. */
  readonly response: DataRequestProto;
  /** The executor that failed. */
  readonly executor: string;
  /** The exception's class name on the executor, e.g. `ValueError` or `TypeError`. */
  readonly remoteName: string;
  /** The remote stack trace lines. */
  readonly remoteStack: readonly string[];
  /** The id of the failed request. */
  readonly requestId: string;

  constructor(response: DataRequestProto) {
    const status = response.header?.status;
    const ex = status?.exception;
    const executor = ex?.executor ?? '';
    const requestId = response.header?.requestId ?? '';
    super(
      `executor '${executor || 'unknown'}' failed on request ${requestId || '?'}: ${status?.description || 'no description'}`,
      Code.Unknown,
    );
    this.response = response;
    this.executor = executor;
    this.remoteName = ex?.name ?? '';
    this.remoteStack = ex?.stacks ?? [];
    this.requestId = requestId;
  }
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
]);

function causeChain(err: unknown): unknown[] {
  const out: unknown[] = [];
  let e: unknown = err;
  for (let i = 0; i < 8 && e; i++) {
    out.push(e);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

function errCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown })?.code;
  return typeof c === 'string' ? c : undefined;
}

/** Where a call went: used in error messages. */
export interface ErrorContext {
  /** e.g. `grpc://127.0.0.1:12345` */
  address: string;
  /** Whether the client uses TLS. */
  tls: boolean;
}

const TLS_SCHEME: Record<string, string> = { grpc: 'grpcs', http: 'https', ws: 'wss' };
const PLAIN_SCHEME: Record<string, string> = { grpcs: 'grpc', https: 'http', wss: 'ws' };

function splitAddress(address: string): { scheme: string; hostPort: string } {
  const i = address.indexOf('://');
  return i < 0
    ? { scheme: '', hostPort: address }
    : { scheme: address.slice(0, i), hostPort: address.slice(i + 3) };
}

/**
 * A {@link TlsError} for a plaintext client that met a TLS server at `address`; `evidence` says
 * what showed it (e.g. "it closed this plaintext connection and completes a TLS handshake").
 */
export function plaintextToTlsError(address: string, evidence: string, cause?: unknown): TlsError {
  const { scheme, hostPort } = splitAddress(address);
  return new TlsError(
    `${address}: the gateway at ${hostPort} speaks TLS (${evidence}); connect with tls: true or ${TLS_SCHEME[scheme] ?? `${scheme}s`}://${hostPort}`,
    { cause },
  );
}

/** A {@link TlsError} for a TLS client whose handshake got something that is not TLS (`code`). */
export function tlsToPlaintextError(address: string, code: string, cause?: unknown): TlsError {
  const { scheme, hostPort } = splitAddress(address);
  return new TlsError(
    `${address}: the server at ${hostPort} did not answer TLS (${code}); it may be plaintext: connect with tls: false or ${PLAIN_SCHEME[scheme] ?? scheme}://${hostPort}`,
    { cause },
  );
}

// What TLS fronts other than Node's answer to plaintext HTTP (nginx, Go's net/http).
const TLS_PORT_ANSWER =
  /The plain HTTP request was sent to HTTPS port|Client sent an HTTP request to an HTTPS server/i;

/**
 * The sentence by which a TLS server says it got plaintext HTTP, when an HTTP 400 body holds
 * one (nginx: "The plain HTTP request was sent to HTTPS port"; Go: "Client sent an HTTP request
 * to an HTTPS server"), else undefined.
 */
export function tlsPortAnswer(status: number, body: string): string | undefined {
  return status === 400 ? TLS_PORT_ANSWER.exec(body)?.[0] : undefined;
}

/** A TLS error for a low-level error code, or undefined when the failure is not about TLS. */
export function tlsErrorOf(err: unknown, ctx: ErrorContext): TlsError | undefined {
  for (const e of causeChain(err)) {
    const code = errCode(e);
    if (!code || !TLS_CODES.has(code)) continue;
    const text = (e as Error).message ?? '';
    if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
      return tlsToPlaintextError(
        ctx.address,
        `${code === 'ERR_SSL_WRONG_VERSION_NUMBER' ? 'wrong version number' : 'packet length too long'}, ${code}`,
        err,
      );
    }
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return new TlsError(
        `${ctx.address}: the gateway's certificate does not name this host (${text}); connect by a name in the certificate or set tls.serverName`,
        { cause: err },
      );
    }
    if (code.includes('ALERT')) {
      return new TlsError(
        `${ctx.address}: the gateway rejected the TLS handshake (${code}); check the client certificate and key (tls.cert, tls.key)`,
        { cause: err },
      );
    }
    return new TlsError(
      `${ctx.address}: the gateway's certificate is not trusted (${code}); give its CA certificate as tls.ca`,
      { cause: err },
    );
  }
  return undefined;
}

const RESET_CODES = new Set([
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_SESSION_ERROR',
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_HTTP2_INVALID_SESSION',
  'ERR_HTTP2_STREAM_CANCEL',
  'ECONNRESET',
  'EPIPE',
]);

/**
 * Whether a failure is a connection dropped or broken before any answer (reset, closed, an HTTP/2
 * protocol or session error, a cancelled stream): what a TLS server does to a plaintext client.
 * Not a refused connection (nothing listens) and not a status the server answered.
 */
export function isDroppedConnection(err: unknown): boolean {
  return causeChain(err).some((e) => {
    const code = errCode(e);
    return code !== undefined && (RESET_CODES.has(code) || code === 'ERR_HTTP2_ERROR');
  });
}

/**
 * Turns anything thrown by a transport into a {@link ClientError}: TLS problems into
 * {@link TlsError}, everything else into {@link TransportError} keeping the connect `Code`.
 */
export function toClientError(err: unknown, ctx: ErrorContext): ClientError {
  // Ours already, possibly wrapped by connect (gRPC-web's fetch errors become a ConnectError's cause).
  for (const e of causeChain(err)) if (e instanceof ClientError) return e;
  const tls = tlsErrorOf(err, ctx);
  if (tls) return tls;
  const ce = ConnectError.from(err);
  const text = ce.rawMessage;
  if (ce.code === Code.DeadlineExceeded) {
    return new TransportError(`${ctx.address}: [DeadlineExceeded] ${text}`, ce.code, {
      cause: err,
      serverMessage: text,
      retryable: false,
    });
  }
  // Called only when our own signal is not aborted: a CANCELED stream or a refused/reset
  // HTTP/2 stream then means the gateway went away (restart, shutdown), which a retry may outlive.
  const connectionLost =
    ce.code === Code.Canceled ||
    (ce.code === Code.Internal && isResetByPeer(err)) ||
    ce.code === Code.Unavailable;
  return new TransportError(`${ctx.address}: [${Code[ce.code]}] ${text}`, ce.code, {
    cause: err,
    serverMessage: text,
    retryable: connectionLost,
  });
}

/** Whether a low-level error says the connection or stream was reset by the other side. */
function isResetByPeer(err: unknown): boolean {
  return causeChain(err).some((e) => {
    const code = errCode(e);
    return code !== undefined && RESET_CODES.has(code);
  });
}
