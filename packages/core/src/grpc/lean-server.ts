import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Code, ConnectError, type ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import {
  assignHeaders,
  encodeGrpcMessage,
  FrameReader,
  GRPC_CONTENT_TYPE,
  isGrpcProtoContentType,
  metadataOf,
  isLeanMessage,
  type LeanMessage,
  messageSize,
  parseGrpcTimeout,
  writeFrame,
} from './lean-frame.js';
import { DEFAULT_MAX_MESSAGE_BYTES, type GrpcServer, HTTP2_WINDOW_BYTES } from './settings.js';

/** Default `maxSessionMemory` of lean servers and clients, in MB: bounds the bytes buffered per HTTP/2 session. */
export const DEFAULT_MAX_SESSION_MEMORY_MB = 128;

/**
 * What a lean handler sees of its call. Shaped like connect's `HandlerContext` so that handlers
 * move between the two with few changes.
 */
export interface LeanCallContext {
  /** The request path, e.g. `/jina.JinaRPC/Call`. */
  readonly path: string;
  /** Aborted with a `ConnectError` when the deadline passes, the client cancels or the server stops. */
  readonly signal: AbortSignal;
  /** Milliseconds left until the deadline the client set (`grpc-timeout`), at the time the call started; undefined without one. */
  readonly timeoutMs: number | undefined;
  /** The request metadata (HTTP/2 headers without pseudo-headers and gRPC protocol headers). */
  readonly requestHeader: Headers;
  /** Metadata sent in the response headers; set it before the first response message. */
  readonly responseHeader: Headers;
  /** Metadata sent in the trailers, e.g. `is-error: true`. */
  readonly responseTrailer: Headers;
}

/**
 * Serves a unary method over raw message bytes: request bytes in, response bytes out. Throw a
 * `ConnectError` to fail with its code. The request bytes may be a view of a network buffer:
 * keep them only as long as the call (or copy); the response bytes are sent as they are, so do
 * not change them afterwards.
 */
export type LeanUnaryHandler = (
  request: Uint8Array,
  ctx: LeanCallContext,
) => LeanMessage | Promise<LeanMessage>;

/** Serves a bidirectional streaming method over raw message bytes; the returned iterable's messages are sent in order. */
export type LeanBidiHandler = (
  requests: AsyncIterable<Uint8Array>,
  ctx: LeanCallContext,
) => AsyncIterable<LeanMessage>;

/** Options of {@link startLeanGrpcServer}. */
export interface LeanGrpcServerOptions {
  /** Registers the connect-served services (health, discovery, `_status` …): every path without a lean handler. @default none */
  routes?: (router: ConnectRouter) => void;
  /** Lean unary handlers by path, e.g. `{ '/jina.JinaSingleDataRequestRPC/process_single_data': fn }`. @default none */
  unary?: Readonly<Record<string, LeanUnaryHandler>>;
  /** Lean bidirectional streaming handlers by path, e.g. `{ '/jina.JinaRPC/Call': fn }`. @default none */
  bidi?: Readonly<Record<string, LeanBidiHandler>>;
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** Largest message accepted or sent (RESOURCE_EXHAUSTED beyond it). @default 256 MiB */
  maxMessageBytes?: number;
  /**
   * TLS certificate and key (PEM), with any other option of `http2.createSecureServer` (e.g. `ca`
   * and `requestCert` for client certificates, `handshakeTimeout`); plaintext h2c when absent.
   */
  tls?: LeanServerTls;
  /** Open connections accepted at once; further ones are closed at once. @default unlimited */
  maxConnections?: number;
  /**
   * Status of a lean call whose request is not well-formed gRPC: a message frame cut short, or a
   * unary call with no or several messages. A door facing clients may want INVALID_ARGUMENT.
   * @default INTERNAL for a cut frame, UNIMPLEMENTED for a wrong message count (as connect and grpc-js)
   */
  malformedRequestCode?: Code;
  /** Called with every new HTTP/2 session, e.g. to watch it for idleness. @default none */
  onSession?: (session: http2.ServerHttp2Session) => void;
  /**
   * Checked before any call (lean or connect) is served: return a `ConnectError` (or a promise of
   * one) to refuse the call with its status before anything of it is read; undefined lets it pass.
   * @default every call passes
   */
  authorize?: (
    headers: http2.IncomingHttpHeaders,
    stream: http2.ServerHttp2Stream,
  ) => ConnectError | undefined | Promise<ConnectError | undefined>;
  /** Most concurrent streams per connection. @default 1000 */
  maxConcurrentStreams?: number;
  /** HTTP/2 stream and connection flow-control window in bytes. @default 16 MiB */
  windowBytes?: number;
  /** Node's `maxSessionMemory` in MB: buffered bytes per session beyond which new streams are refused. @default 128 */
  maxSessionMemoryMb?: number;
  /** Request messages of one bidi stream buffered before reading from the peer pauses. @default 32 */
  streamHighWaterMark?: number;
  /**
   * Wraps the connect-node handler that serves every path without a lean handler, e.g. to adjust
   * the status of calls that failed before reaching a service. @default none
   */
  wrapConnect?: (handler: ConnectNodeHandler) => ConnectNodeHandler;
}

/** TLS options of {@link startLeanGrpcServer}: a certificate and key, and any other secure-server option. */
export type LeanServerTls = http2.SecureServerOptions & { cert: string | Buffer; key: string | Buffer };

/** The request handler connect-node's adapter returns. */
export type ConnectNodeHandler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

/**
 * Starts a gRPC server on node:http2 that serves the given paths itself, over raw message bytes
 * (no protobuf decoding, no per-call machinery beyond gRPC framing), and hands every other
 * request to connect-node on the same port. Messages are never compressed.
 *
 * @example
 * ```ts
 * const server = await startLeanGrpcServer({
 *   routes: (router) => registerHealth(router, () => ServingStatus.SERVING),
 *   unary: { '/jina.JinaSingleDataRequestRPC/process_single_data': (bytes) => bytes },
 * });
 * ```
 */
export async function startLeanGrpcServer(options: LeanGrpcServerOptions): Promise<GrpcServer> {
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const window = options.windowBytes ?? HTTP2_WINDOW_BYTES;
  const highWater = options.streamHighWaterMark ?? 32;
  const unary = new Map(Object.entries(options.unary ?? {}));
  const bidi = new Map(Object.entries(options.bidi ?? {}));
  for (const path of [...unary.keys(), ...bidi.keys()]) {
    if (!/^\/[^/]+\/[^/]+$/.test(path)) {
      throw new ConnectError(
        `lean handler path '${path}' is not a gRPC path: expected '/package.Service/Method'`,
        Code.InvalidArgument,
      );
    }
  }
  const adapter: ConnectNodeHandler = connectNodeAdapter({
    routes: options.routes ?? (() => {}),
    grpc: true,
    grpcWeb: false,
    connect: false,
    acceptCompression: [],
    readMaxBytes: maxBytes,
    writeMaxBytes: maxBytes,
  });
  const connectHandler = options.wrapConnect ? options.wrapConnect(adapter) : adapter;
  const settings: http2.Settings = {
    maxConcurrentStreams: options.maxConcurrentStreams ?? 1000,
    initialWindowSize: window,
  };
  const common = { settings, maxSessionMemory: options.maxSessionMemoryMb ?? DEFAULT_MAX_SESSION_MEMORY_MB };
  const server = options.tls
    ? http2.createSecureServer({ ...common, ...options.tls, allowHTTP1: false })
    : http2.createServer(common);
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
  const limits: Limits = {
    maxBytes,
    highWater,
    malformed: options.malformedRequestCode,
    shutdown: undefined,
    watching: new Set(),
  };
  const authorize = options.authorize;

  const dispatch = (
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    rawHeaders: string[],
  ): void => {
    const path = headers[':path'];
    if (
      path !== undefined &&
      headers[':method'] === 'POST' &&
      isGrpcProtoContentType(headers['content-type'])
    ) {
      const u = unary.get(path);
      if (u !== undefined) {
        serveUnary(stream, headers, path, u, limits);
        return;
      }
      const b = bidi.get(path);
      if (b !== undefined) {
        serveBidi(stream, headers, path, b, limits);
        return;
      }
    }
    // Everything else goes to connect-node, as http2.createServer(handler) would route it.
    const req = new http2.Http2ServerRequest(stream, headers, {}, rawHeaders);
    const res = new http2.Http2ServerResponse(stream);
    connectHandler(req, res);
  };
  const onStream = (
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    _flags: number,
    rawHeaders: string[],
  ): void => {
    if (authorize === undefined) {
      dispatch(stream, headers, rawHeaders);
      return;
    }
    let verdict: ConnectError | undefined | Promise<ConnectError | undefined>;
    try {
      verdict = authorize(headers, stream);
    } catch (err) {
      verdict = ConnectError.from(err, Code.Internal);
    }
    if (verdict === undefined) {
      dispatch(stream, headers, rawHeaders);
      return;
    }
    const settle = (refusal: ConnectError | undefined) => {
      if (refusal === undefined) dispatch(stream, headers, rawHeaders);
      else refuseStream(stream, refusal);
    };
    if (verdict instanceof Promise)
      verdict.then(settle, (err: unknown) => refuseStream(stream, ConnectError.from(err, Code.Internal)));
    else settle(verdict);
  };
  server.on('stream', onStream);

  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    options.onSession?.(s);
    s.on('close', () => sessions.delete(s));
    s.on('error', () => {});
    try {
      s.setLocalWindowSize(window);
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
          limits.shutdown = new ConnectError('the server is shutting down', Code.Unavailable);
          for (const call of limits.watching) call.abort(limits.shutdown);
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

interface Limits {
  maxBytes: number;
  highWater: number;
  /** Status for requests that are not well-formed gRPC, when not the default. */
  malformed: Code | undefined;
  /** Set once the grace period of close() ran out. */
  shutdown: ConnectError | undefined;
  /** Calls whose handler holds a signal, to abort on shutdown. */
  watching: Set<LeanCall>;
}

/** One lean call: its context, deadline, and the one place that writes the response status. */
class LeanCall implements LeanCallContext {
  readonly path: string;
  readonly timeoutMs: number | undefined;
  readonly stream: http2.ServerHttp2Stream;
  readonly limits: Limits;
  /** True once a final status is decided (success, error, cancel). */
  done = false;
  #headers: http2.IncomingHttpHeaders;
  #controller: AbortController | undefined;
  #requestHeader: Headers | undefined;
  #responseHeader: Headers | undefined;
  #responseTrailer: Headers | undefined;
  #timer: NodeJS.Timeout | undefined;
  #status: ConnectError | undefined;
  #resetAfterTrailers = false;

  constructor(
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    path: string,
    limits: Limits,
  ) {
    this.stream = stream;
    this.#headers = headers;
    this.path = path;
    this.limits = limits;
    let timeoutMs: number | undefined;
    let bad: unknown;
    try {
      timeoutMs = parseGrpcTimeout(headers['grpc-timeout'] as string | undefined);
    } catch (err) {
      bad = err;
    }
    this.timeoutMs = timeoutMs;
    stream.on('error', () => {});
    stream.on('close', () => {
      if (!this.done) this.#abort(new ConnectError('the client cancelled the call', Code.Canceled));
      this.#cleanup();
    });
    if (bad !== undefined) {
      this.fail(bad);
      return;
    }
    if (timeoutMs !== undefined) {
      this.#timer = setTimeout(
        () => this.fail(new ConnectError(`the deadline of ${timeoutMs} ms passed`, Code.DeadlineExceeded)),
        timeoutMs,
      );
    }
    if (limits.shutdown) this.fail(limits.shutdown);
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.done && this.#status) this.#controller.abort(this.#status);
      else if (!this.done) this.limits.watching.add(this);
    }
    return this.#controller.signal;
  }
  get requestHeader(): Headers {
    this.#requestHeader ??= metadataOf(this.#headers);
    return this.#requestHeader;
  }
  get responseHeader(): Headers {
    this.#responseHeader ??= new Headers();
    return this.#responseHeader;
  }
  get responseTrailer(): Headers {
    this.#responseTrailer ??= new Headers();
    return this.#responseTrailer;
  }

  /** True once the peer or a reset closed the stream: nothing can be sent any more. */
  get gone(): boolean {
    return this.stream.destroyed || this.stream.closed;
  }

  /** Sends the response headers if not sent yet (before the first message). */
  sendHeaders(): void {
    if (this.stream.headersSent || this.gone) return;
    const h: http2.OutgoingHttpHeaders = {
      ':status': 200,
      'content-type': GRPC_CONTENT_TYPE,
      'grpc-accept-encoding': 'identity',
    };
    assignHeaders(h, this.#responseHeader);
    this.stream.respond(h, { waitForTrailers: true });
    this.stream.once('wantTrailers', () => this.#sendTrailers());
  }

  /** Writes one response message; resolves when the stream can take more (backpressure). */
  write(message: LeanMessage): Promise<void> | undefined {
    const size = messageSize(message);
    if (size > this.limits.maxBytes) throw this.#tooLarge(size);
    if (this.gone) return undefined;
    this.sendHeaders();
    if (writeFrame(this.stream, message, false)) return undefined;
    return new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('close', done);
    });
  }

  /** Ends the call with OK after the messages written so far and `last`, if given. */
  succeed(last?: LeanMessage): void {
    if (this.done) return;
    if (last !== undefined && messageSize(last) > this.limits.maxBytes) {
      this.fail(this.#tooLarge(messageSize(last)));
      return;
    }
    this.done = true;
    this.#cleanup();
    if (this.gone) return;
    this.sendHeaders();
    this.#resetAfterTrailers = true;
    if (last === undefined) this.stream.end();
    else writeFrame(this.stream, last, true);
  }

  #tooLarge(size: number): ConnectError {
    return new ConnectError(
      `response message of ${size} bytes is larger than the limit of ${this.limits.maxBytes} bytes`,
      Code.ResourceExhausted,
    );
  }

  /** Ends the call with the error's status (trailers-only when nothing was sent yet). */
  fail(err: unknown): void {
    if (this.done) return;
    this.done = true;
    const ce = ConnectError.from(err, Code.Unknown);
    this.#status = ce;
    this.#abort(ce);
    this.#cleanup();
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    if (!stream.headersSent) {
      const h: http2.OutgoingHttpHeaders = {
        ':status': 200,
        'content-type': GRPC_CONTENT_TYPE,
        'grpc-accept-encoding': 'identity',
      };
      assignHeaders(h, this.#responseHeader);
      this.#statusInto(h, ce);
      stream.respond(h, { endStream: true });
      this.#stopReading();
    } else if (!stream.writableEnded) {
      this.#resetAfterTrailers = true;
      stream.end();
    }
  }

  #statusInto(h: http2.OutgoingHttpHeaders, ce: ConnectError | undefined): void {
    assignHeaders(h, this.#responseTrailer);
    if (ce === undefined) {
      h['grpc-status'] = '0';
      return;
    }
    ce.metadata.forEach((value, key) => {
      if (!key.startsWith(':') && key !== 'content-type') h[key] = value;
    });
    h['grpc-status'] = String(ce.code);
    if (ce.rawMessage) h['grpc-message'] = encodeGrpcMessage(ce.rawMessage);
  }

  #sendTrailers(): void {
    const t: http2.OutgoingHttpHeaders = {};
    this.#statusInto(t, this.#status);
    try {
      this.stream.sendTrailers(t);
    } catch {
      // stream already gone
      return;
    }
    if (this.#resetAfterTrailers && !this.stream.readableEnded) setImmediate(() => this.#stopReading());
  }

  /** After the status is out, tells a peer still sending to stop (RST_STREAM NO_ERROR once the response is flushed). */
  #stopReading(): void {
    if (!this.stream.readableEnded && !this.stream.destroyed)
      this.stream.close(http2.constants.NGHTTP2_NO_ERROR);
  }

  /** Aborts the handler's signal (if it took one) without deciding the status. */
  abort(reason: unknown): void {
    this.#abort(reason);
  }

  #abort(reason: unknown): void {
    if (this.#controller !== undefined && !this.#controller.signal.aborted) this.#controller.abort(reason);
  }

  #cleanup(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#controller !== undefined) this.limits.watching.delete(this);
  }
}

function serveUnary(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  path: string,
  handler: LeanUnaryHandler,
  limits: Limits,
): void {
  const call = new LeanCall(stream, headers, path, limits);
  if (call.done) return;
  const reader = new FrameReader(limits.maxBytes, headers['grpc-encoding'] as string | undefined);
  let request: Uint8Array | undefined;
  let count = 0;
  const onMessage = (m: Uint8Array) => {
    request = m;
    count++;
  };
  stream.on('data', (chunk: Buffer) => {
    if (call.done) return;
    try {
      reader.push(chunk, onMessage);
    } catch (err) {
      call.fail(err);
    }
  });
  stream.on('end', () => {
    if (call.done) return;
    if (!reader.idle)
      return call.fail(
        new ConnectError('the request ended inside a message frame', limits.malformed ?? Code.Internal),
      );
    if (count !== 1) {
      return call.fail(
        new ConnectError(
          `a unary call takes exactly one request message, got ${count}: ${path}`,
          limits.malformed ?? Code.Unimplemented,
        ),
      );
    }
    let result: LeanMessage | Promise<LeanMessage>;
    try {
      result = handler(request!, call);
    } catch (err) {
      return call.fail(err);
    }
    if (isLeanMessage(result)) {
      try {
        respondUnary(call, result);
      } catch {
        resetBroken(stream);
      }
      return;
    }
    Promise.resolve(result)
      .then(
        (r) => respondUnary(call, r),
        (err) => call.fail(err),
      )
      .catch(() => resetBroken(stream));
  });
}

/** Answers a call trailers-only with the error's status, reading nothing of it. */
function refuseStream(stream: http2.ServerHttp2Stream, err: ConnectError): void {
  if (stream.destroyed || stream.closed) return;
  stream.on('error', () => {});
  const h: http2.OutgoingHttpHeaders = {
    ':status': 200,
    'content-type': GRPC_CONTENT_TYPE,
    'grpc-status': String(err.code),
  };
  if (err.rawMessage) h['grpc-message'] = encodeGrpcMessage(err.rawMessage);
  stream.respond(h, { endStream: true });
  if (!stream.readableEnded) stream.close(http2.constants.NGHTTP2_NO_ERROR);
}

/** Last resort when writing a status itself failed: reset the stream rather than leave it hanging. */
function resetBroken(stream: http2.ServerHttp2Stream): void {
  if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
}

function respondUnary(call: LeanCall, response: unknown): void {
  if (call.done) return;
  if (!isLeanMessage(response)) {
    call.fail(
      new ConnectError(
        `the lean handler of ${call.path} returned ${typeof response}, not a Uint8Array or an array of them`,
        Code.Internal,
      ),
    );
    return;
  }
  call.succeed(response);
}

/** The request side of a bidi stream as an async iterable, pausing the HTTP/2 stream when full. */
class RequestQueue implements AsyncIterable<Uint8Array> {
  readonly #items: Uint8Array[] = [];
  readonly #stream: http2.ServerHttp2Stream;
  readonly #highWater: number;
  #ended = false;
  #error: unknown;
  #wake: (() => void) | undefined;
  #paused = false;

  constructor(stream: http2.ServerHttp2Stream, highWater: number) {
    this.#stream = stream;
    this.#highWater = highWater;
  }
  push(m: Uint8Array): void {
    this.#items.push(m);
    if (this.#items.length >= this.#highWater && !this.#paused) {
      this.#paused = true;
      this.#stream.pause();
    }
    this.#notify();
  }
  end(): void {
    this.#ended = true;
    this.#notify();
  }
  fail(err: unknown): void {
    if (this.#error === undefined) this.#error = err;
    this.#ended = true;
    this.#notify();
  }
  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      if (this.#error !== undefined) throw this.#error;
      const m = this.#items.shift();
      if (m !== undefined) {
        if (this.#paused && this.#items.length < this.#highWater / 2) {
          this.#paused = false;
          this.#stream.resume();
        }
        yield m;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((r) => {
        this.#wake = r;
      });
    }
  }
}

function serveBidi(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  path: string,
  handler: LeanBidiHandler,
  limits: Limits,
): void {
  const call = new LeanCall(stream, headers, path, limits);
  if (call.done) return;
  const reader = new FrameReader(limits.maxBytes, headers['grpc-encoding'] as string | undefined);
  const queue = new RequestQueue(stream, limits.highWater);
  const onMessage = (m: Uint8Array) => queue.push(m);
  stream.on('data', (chunk: Buffer) => {
    if (call.done) return;
    try {
      reader.push(chunk, onMessage);
    } catch (err) {
      queue.fail(err);
      call.fail(err);
    }
  });
  stream.on('end', () => {
    if (!reader.idle) {
      const err = new ConnectError(
        'the request stream ended inside a message frame',
        limits.malformed ?? Code.Internal,
      );
      queue.fail(err);
      call.fail(err);
    } else queue.end();
  });
  stream.on('close', () => queue.fail(new ConnectError('the client cancelled the call', Code.Canceled)));
  void (async () => {
    try {
      for await (const out of handler(queue, call)) {
        if (call.done) return;
        const wait = call.write(out);
        if (wait !== undefined) await wait;
      }
      call.succeed();
    } catch (err) {
      call.fail(err);
    }
  })().catch(() => resetBroken(stream));
}
