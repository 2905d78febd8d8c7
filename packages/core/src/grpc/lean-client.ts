import * as http2 from 'node:http2';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  codeFromHttp2Error,
  codeFromHttpStatus,
  decodeGrpcMessage,
  FrameReader,
  formatGrpcTimeout,
  GRPC_CONTENT_TYPE,
  isGrpcProtoContentType,
  type LeanMessage,
  messageSize,
  metadataOf,
  writeFrame,
} from './lean-frame.js';
import { DEFAULT_MAX_SESSION_MEMORY_MB } from './lean-server.js';
import { DEFAULT_MAX_MESSAGE_BYTES, HTTP2_WINDOW_BYTES } from './settings.js';

/** Options of {@link createLeanClient}. */
export interface LeanClientOptions {
  /** Largest message sent or received (RESOURCE_EXHAUSTED beyond it). @default 256 MiB */
  maxMessageBytes?: number;
  /** HTTP/2 stream and connection flow-control window in bytes. @default 16 MiB */
  windowBytes?: number;
  /** Node's `maxSessionMemory` in MB: bounds the bytes buffered on the session. @default 128 */
  maxSessionMemoryMb?: number;
  /** How long establishing a connection may take before calls fail with UNAVAILABLE. @default 10000 */
  connectTimeoutMs?: number;
  /** A connection idle this long is closed (the next call reconnects). @default 60000 */
  idleTimeoutMs?: number;
  /** CA certificate (PEM) to trust for `https` addresses. */
  ca?: string | Buffer;
  /** Client certificate (PEM) presented to servers that require mutual TLS. @default none */
  cert?: string | Buffer;
  /** Private key (PEM) of `cert`. @default none */
  key?: string | Buffer;
  /** Skip certificate verification (tests only). @default false */
  insecureSkipVerify?: boolean;
  /** Name the server's certificate must carry (and SNI), when the URL holds an address resolved from it. @default the URL's host */
  servername?: string;
}

/** Options of one {@link LeanClient.unary} call. */
export interface LeanCallOptions {
  /** Cancels the call (CANCELED) when aborted. */
  signal?: AbortSignal;
  /** Deadline in ms, sent as `grpc-timeout` and enforced here (DEADLINE_EXCEEDED). @default no deadline */
  timeoutMs?: number;
  /** Request metadata. */
  headers?: Headers | Record<string, string>;
}

/** The answer of a unary call: the response message bytes and the response metadata. */
export interface LeanUnaryResponse {
  /** The response message, undecoded. */
  readonly message: Uint8Array;
  /** Response header metadata. */
  readonly header: Headers;
  /** Trailer metadata (without `grpc-status` / `grpc-message`), e.g. `is-error`. */
  readonly trailer: Headers;
}

/** A gRPC client for unary calls over raw message bytes, on one reused HTTP/2 session. */
export interface LeanClient {
  /** `http://host:port` or `https://host:port`. */
  readonly baseUrl: string;
  /**
   * Calls a unary method with an encoded request message (whole, or in parts sent without
   * joining them); resolves with the encoded response.
   * Rejects with a `ConnectError`: the server's status and message, UNAVAILABLE when the peer
   * cannot be reached or the connection drops, DEADLINE_EXCEEDED, CANCELED, RESOURCE_EXHAUSTED.
   */
  unary(path: string, message: LeanMessage, options?: LeanCallOptions): Promise<LeanUnaryResponse>;
  /** Closes the HTTP/2 session; calls in flight fail with CANCELED. */
  close(): void;
  /** Same as {@link LeanClient.close}. */
  [Symbol.dispose](): void;
}

/**
 * Creates a lean unary gRPC client for `baseUrl`: one HTTP/2 session, opened on first use and
 * reopened after the server closes it (GOAWAY) or the connection drops; no compression; large
 * windows.
 *
 * @example
 * ```ts
 * const client = createLeanClient('http://127.0.0.1:50051');
 * const { message } = await client.unary(
 *   '/jina.JinaSingleDataRequestRPC/process_single_data',
 *   toBinary(DataRequestProtoSchema, req),
 *   { timeoutMs: 5000 },
 * );
 * client.close();
 * ```
 */
export function createLeanClient(baseUrl: string, options: LeanClientOptions = {}): LeanClient {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ConnectError(
      `invalid base URL '${baseUrl}': expected http://host:port or https://host:port`,
      Code.InvalidArgument,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConnectError(
      `invalid base URL '${baseUrl}': the scheme must be http or https`,
      Code.InvalidArgument,
    );
  }
  return new LeanClientImpl(url.origin, options);
}

const { NGHTTP2_CANCEL } = http2.constants;
/** Where a session keeps the error it failed with, for the calls it takes down. */
const kError = Symbol('weft.leanSessionError');

class LeanClientImpl implements LeanClient {
  readonly baseUrl: string;
  readonly #maxBytes: number;
  readonly #window: number;
  readonly #connectOptions: http2.SecureClientSessionOptions;
  readonly #connectTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  #session: http2.ClientHttp2Session | undefined;
  #closed = false;
  #active = 0;

  constructor(baseUrl: string, options: LeanClientOptions) {
    this.baseUrl = baseUrl;
    this.#maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#window = options.windowBytes ?? HTTP2_WINDOW_BYTES;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    this.#connectOptions = {
      settings: { initialWindowSize: this.#window, enablePush: false },
      maxSessionMemory: options.maxSessionMemoryMb ?? DEFAULT_MAX_SESSION_MEMORY_MB,
      ...(options.ca ? { ca: options.ca } : {}),
      ...(options.cert && options.key ? { cert: options.cert, key: options.key } : {}),
      ...(options.servername ? { servername: options.servername } : {}),
      ...(options.insecureSkipVerify ? { rejectUnauthorized: false } : {}),
    };
  }

  #open(): http2.ClientHttp2Session {
    const current = this.#session;
    if (current !== undefined && !current.closed && !current.destroyed) return current;
    const s = http2.connect(this.baseUrl, this.#connectOptions);
    this.#session = s;
    const forget = () => {
      if (this.#session === s) this.#session = undefined;
    };
    const timer = setTimeout(() => {
      const e = new Error(`no HTTP/2 connection within connectTimeoutMs=${this.#connectTimeoutMs} ms`);
      (e as NodeJS.ErrnoException).code = 'ETIMEDOUT';
      s.destroy(e);
    }, this.#connectTimeoutMs);
    // 'connect' fires once the socket is up; the peer's SETTINGS prove it speaks HTTP/2.
    s.once('remoteSettings', () => clearTimeout(timer));
    s.once('connect', () => {
      try {
        s.setLocalWindowSize(this.#window);
      } catch {
        // session already gone
      }
    });
    s.on('error', (err) => {
      (s as unknown as { [kError]?: unknown })[kError] = err;
      forget();
    });
    s.on('goaway', forget);
    s.on('close', () => {
      clearTimeout(timer);
      forget();
    });
    s.setTimeout(this.#idleTimeoutMs, () => {
      if (this.#active > 0 && this.#session === s) return;
      forget();
      s.close();
    });
    return s;
  }

  unary(path: string, message: LeanMessage, options: LeanCallOptions = {}): Promise<LeanUnaryResponse> {
    return new Promise<LeanUnaryResponse>((resolve, reject) => {
      const { signal, timeoutMs } = options;
      if (this.#closed)
        return reject(new ConnectError(`the client of ${this.baseUrl} is closed`, Code.Canceled));
      if (signal?.aborted) return reject(canceled(signal.reason));
      const size = messageSize(message);
      if (size > this.#maxBytes) {
        return reject(
          new ConnectError(
            `request message of ${size} bytes is larger than the limit of ${this.#maxBytes} bytes`,
            Code.ResourceExhausted,
          ),
        );
      }
      const headers: http2.OutgoingHttpHeaders = {
        ':method': 'POST',
        ':path': path,
        'content-type': GRPC_CONTENT_TYPE,
        te: 'trailers',
        'grpc-accept-encoding': 'identity',
      };
      if (timeoutMs !== undefined) headers['grpc-timeout'] = formatGrpcTimeout(timeoutMs);
      const extra = options.headers;
      if (extra instanceof Headers) {
        extra.forEach((v, k) => {
          headers[k] = v;
        });
      } else if (extra !== undefined) {
        // A plain record (the common case: no per-call Headers object, whose construction costs).
        for (const k in extra) headers[k.toLowerCase()] = extra[k]!;
      }
      let stream: http2.ClientHttp2Stream;
      let session: http2.ClientHttp2Session;
      try {
        session = this.#open();
        stream = session.request(headers);
      } catch {
        // The session went away between the check and the request: one fresh session.
        this.#session = undefined;
        try {
          session = this.#open();
          stream = session.request(headers);
        } catch (err) {
          return reject(unavailable(this.baseUrl, err));
        }
      }
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      this.#active++;
      const onAbort = () => {
        settle(canceled(signal!.reason));
        stream.close(NGHTTP2_CANCEL);
      };
      const settle = (err: ConnectError | undefined, value?: LeanUnaryResponse) => {
        if (settled) return;
        settled = true;
        this.#active--;
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(value!);
      };
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          settle(
            new ConnectError(
              `no answer from ${this.baseUrl}${path} within ${timeoutMs} ms`,
              Code.DeadlineExceeded,
            ),
          );
          stream.close(NGHTTP2_CANCEL);
        }, timeoutMs);
      }
      signal?.addEventListener('abort', onAbort, { once: true });

      const reader = new FrameReader(this.#maxBytes, undefined);
      let response: http2.IncomingHttpHeaders | undefined;
      let trailers: http2.IncomingHttpHeaders | undefined;
      let result: Uint8Array | undefined;
      let count = 0;
      let streamError: unknown;
      const onMessage = (m: Uint8Array) => {
        result = m;
        count++;
      };
      stream.on('response', (h) => {
        response = h;
      });
      stream.on('data', (chunk: Buffer) => {
        if (settled) return;
        try {
          reader.push(chunk, onMessage);
        } catch (err) {
          settle(ConnectError.from(err));
          stream.close(NGHTTP2_CANCEL);
        }
      });
      stream.on('trailers', (t) => {
        trailers = t;
      });
      stream.on('error', (err) => {
        streamError = err;
      });
      stream.on('close', () => {
        if (settled) return;
        if (this.#closed)
          return settle(new ConnectError(`the client of ${this.baseUrl} was closed`, Code.Canceled));
        const gone = session.destroyed || session.closed;
        const sessionError = (session as unknown as { [kError]?: unknown })[kError];
        settle(
          ...this.#outcome(
            path,
            stream,
            response,
            trailers,
            result,
            count,
            reader.idle,
            streamError,
            gone,
            sessionError,
          ),
        );
      });
      writeFrame(stream, message, true);
    });
  }

  #outcome(
    path: string,
    stream: http2.ClientHttp2Stream,
    response: http2.IncomingHttpHeaders | undefined,
    trailers: http2.IncomingHttpHeaders | undefined,
    result: Uint8Array | undefined,
    count: number,
    idle: boolean,
    streamError: unknown,
    sessionGone: boolean,
    sessionError: unknown,
  ): [ConnectError | undefined, LeanUnaryResponse?] {
    const where = `${this.baseUrl}${path}`;
    const rst = stream.rstCode ?? 0;
    // A reset of this stream alone, on a live session, carries the peer's reason; a dead
    // connection (refused, reset, GOAWAY, timeout) means the peer is unavailable.
    const streamReset = !sessionGone && rst !== 0 && rst !== http2.constants.NGHTTP2_REFUSED_STREAM;
    if (response === undefined) {
      if (streamReset) {
        return [
          new ConnectError(
            `${where}: stream reset by the peer (HTTP/2 error ${rst})`,
            codeFromHttp2Error(rst),
          ),
        ];
      }
      return [
        unavailable(
          this.baseUrl,
          streamError ??
            sessionError ??
            new Error(`the connection closed before an answer (HTTP/2 error ${rst})`),
        ),
      ];
    }
    const httpStatus = Number(response[':status']);
    const status = trailers?.['grpc-status'] ?? response['grpc-status'];
    if (httpStatus !== 200 && status === undefined) {
      return [
        new ConnectError(
          `${where}: HTTP status ${httpStatus} instead of a gRPC answer`,
          codeFromHttpStatus(httpStatus),
        ),
      ];
    }
    if (status === undefined) {
      if (rst !== 0 || sessionGone) {
        if (streamReset) {
          return [
            new ConnectError(
              `${where}: stream reset by the peer before its status (HTTP/2 error ${rst})`,
              codeFromHttp2Error(rst),
            ),
          ];
        }
        return [
          unavailable(this.baseUrl, sessionError ?? new Error('the connection closed before the status')),
        ];
      }
      return [new ConnectError(`${where}: the answer ended without a grpc-status`, Code.Internal)];
    }
    const code = Number(status);
    const meta = trailers ?? response;
    if (code !== 0) {
      const text = meta['grpc-message'];
      const known = Number.isInteger(code) && code > 0 && code <= 16;
      return [
        new ConnectError(
          decodeGrpcMessage(typeof text === 'string' ? text : ''),
          known ? (code as Code) : Code.Unknown,
          metadataOf(meta),
        ),
      ];
    }
    if (!isGrpcProtoContentType(response['content-type'] as string | undefined)) {
      return [
        new ConnectError(`${where}: unexpected content-type '${response['content-type']}'`, Code.Internal),
      ];
    }
    if (!idle) return [new ConnectError(`${where}: the answer ended inside a message frame`, Code.Internal)];
    if (count !== 1) {
      return [
        new ConnectError(
          `${where}: a unary answer must hold exactly one message, got ${count}`,
          Code.Unimplemented,
        ),
      ];
    }
    return [undefined, new LeanResponse(result!, response, trailers ?? {})];
  }

  close(): void {
    this.#closed = true;
    const s = this.#session;
    this.#session = undefined;
    s?.destroy();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** A response whose metadata is turned into `Headers` only when read. */
class LeanResponse implements LeanUnaryResponse {
  readonly message: Uint8Array;
  readonly #rawHeader: http2.IncomingHttpHeaders;
  readonly #rawTrailer: http2.IncomingHttpHeaders;
  #header: Headers | undefined;
  #trailer: Headers | undefined;
  constructor(message: Uint8Array, header: http2.IncomingHttpHeaders, trailer: http2.IncomingHttpHeaders) {
    this.message = message;
    this.#rawHeader = header;
    this.#rawTrailer = trailer;
  }
  get header(): Headers {
    this.#header ??= metadataOf(this.#rawHeader);
    return this.#header;
  }
  get trailer(): Headers {
    this.#trailer ??= metadataOf(this.#rawTrailer);
    return this.#trailer;
  }
}

function canceled(reason: unknown): ConnectError {
  if (reason instanceof ConnectError) return reason;
  return new ConnectError(
    `the call was cancelled${reason instanceof Error ? `: ${reason.message}` : ''}`,
    Code.Canceled,
    undefined,
    undefined,
    reason,
  );
}

function unavailable(baseUrl: string, cause: unknown): ConnectError {
  const text = cause instanceof Error ? cause.message : String(cause);
  return new ConnectError(
    `cannot reach ${baseUrl}: ${text}; check that the server is running and the address is right`,
    Code.Unavailable,
    undefined,
    undefined,
    cause,
  );
}
