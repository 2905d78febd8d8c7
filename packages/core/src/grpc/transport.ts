import type { Transport } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { DEFAULT_MAX_MESSAGE_BYTES, HTTP2_WINDOW_BYTES } from './settings.js';

const guarded = new WeakSet<object>();

/**
 * connect-node's HTTP/2 session manager, made safe against sessions that fail after connect-node
 * stopped listening to them: every session it hands a stream on gets a permanent `'error'`
 * listener, so a late protocol error (e.g. an HTTP/1.1 server answering on a gRPC port) fails
 * the call instead of crashing the process with an unhandled `'error'` event.
 */
export class GuardedHttp2SessionManager extends Http2SessionManager {
  override async request(...args: Parameters<Http2SessionManager['request']>) {
    const stream = await super.request(...args);
    const session = stream.session;
    if (session && !guarded.has(session)) {
      guarded.add(session);
      session.on('error', () => {});
    }
    return stream;
  }
}

/** Options of {@link createWeftTransport}. */
export interface WeftTransportOptions {
  /** Largest message sent or received. @default 256 MiB */
  maxMessageBytes?: number;
  /** CA certificate (PEM) to trust for `grpcs` addresses. */
  ca?: string | Buffer;
  /** Client certificate (PEM) presented to servers that require mutual TLS. @default none */
  cert?: string | Buffer;
  /** Private key (PEM) of `cert`. @default none */
  key?: string | Buffer;
  /** Skip certificate verification (tests only). @default false */
  insecureSkipVerify?: boolean;
  /** Name the server's certificate must carry (and SNI), when `baseUrl` holds an address resolved from it. @default the URL's host */
  servername?: string;
}

/** A gRPC transport plus the HTTP/2 session it owns. */
export interface WeftTransport {
  readonly transport: Transport;
  /** Closes the HTTP/2 session. */
  close(): void;
}

/**
 * A gRPC client transport over one HTTP/2 session to `baseUrl` (`http://host:port` or
 * `https://host:port`), with no compression, large windows and a large session memory.
 */
export function createWeftTransport(baseUrl: string, options: WeftTransportOptions = {}): WeftTransport {
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const nodeOptions = {
    maxSessionMemory: 1024,
    settings: { initialWindowSize: HTTP2_WINDOW_BYTES },
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.cert && options.key ? { cert: options.cert, key: options.key } : {}),
    ...(options.servername ? { servername: options.servername } : {}),
    ...(options.insecureSkipVerify ? { rejectUnauthorized: false } : {}),
  };
  const sessionManager = new GuardedHttp2SessionManager(
    baseUrl,
    { idleConnectionTimeoutMs: 60_000 },
    nodeOptions,
  );
  const transport = createGrpcTransport({
    baseUrl,
    sessionManager,
    acceptCompression: [],
    readMaxBytes: maxBytes,
    writeMaxBytes: maxBytes,
  });
  return { transport, close: () => sessionManager.abort() };
}
