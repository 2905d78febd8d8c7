/**
 * The browser build of `@weft/client`: the same `Client` over HTTP (`fetch`), WebSocket (the
 * browser's `WebSocket`) and gRPC-web (`fetch`), with no Node built-ins. Bundlers pick it through the `browser` export
 * condition of `@weft/client`; it is also importable as `@weft/client/browser`.
 * @packageDocumentation
 */
import { ClientBase } from './client-base.js';
import { ClientConfigError } from './errors.js';
import { createGrpcWebTransport } from './grpc-web-transport.js';
import { createHttpTransport, type FetchLike } from './http-transport.js';
import type { ClientOptions, Protocol, ResolvedClientOptions } from './options.js';
import type { ClientTransport } from './transport.js';
import { createWebSocketTransport, type WebSocketLike } from './ws-transport.js';

function browserTransport(protocol: Protocol, o: ResolvedClientOptions): ClientTransport {
  const t = o.tlsOptions;
  if (t.ca !== undefined || t.cert !== undefined || t.key !== undefined || t.rejectUnauthorized === false) {
    throw new ClientConfigError(
      'Client: a browser cannot set tls.ca, tls.cert, tls.key or rejectUnauthorized; install the CA in the browser or OS trust store and use tls: true',
    );
  }
  switch (protocol) {
    case 'http':
      return createHttpTransport(o, ((url, init) => globalThis.fetch(url, init)) as FetchLike);
    case 'websocket':
      if (Object.keys(o.headers).length) {
        throw new ClientConfigError(
          `Client: a browser cannot send headers (${Object.keys(o.headers).join(', ')}) on a WebSocket handshake; use protocol 'http' or put them in parameters`,
        );
      }
      return createWebSocketTransport(
        o,
        (url, subprotocol) => new WebSocket(url, subprotocol) as unknown as WebSocketLike,
      );
    case 'grpc-web':
      return createGrpcWebTransport(o, (input, init) => globalThis.fetch(input, init));
    default:
      throw new ClientConfigError(
        `Client: protocol '${protocol}' cannot run in a browser (it needs HTTP/2 trailers); use 'http', 'websocket' or 'grpc-web'`,
      );
  }
}

/**
 * Sends DocumentArrays to a Weft (or Jina) gateway from a web page, over HTTP or WebSocket.
 *
 * @example
 * ```ts
 * import { Client } from '@weft/client';   // resolves to this build in a browser bundle
 * const client = new Client('http://localhost:12346');
 * const docs = await client.post('/', [{ text: 'hello' }]);
 * ```
 */
export class Client extends ClientBase {
  /** @param options - `{ host, port, protocol: 'http' | 'websocket', … }` or `http(s)://` / `ws(s)://` address. */
  constructor(options: ClientOptions | string) {
    super(options, { createTransport: browserTransport });
  }
}

export { ClientBase } from './client-base.js';
export type { CallControl, Profile, StreamDocOptions } from './client-base.js';
export { ClientConfigError, ClientError, Code, ExecutorError, TlsError, TransportError } from './errors.js';
export type { InputDocument, PostInputs } from './inputs.js';
export type { ClientOptions, PostOptions, Protocol, ResponseCallback, TlsOptions } from './options.js';
export type { RetryOptions } from './retry.js';
export { ClientResponse } from './response.js';
