/**
 * Send, batch and stream DocumentArrays to a Weft or Jina gateway over gRPC, HTTP or WebSocket.
 *
 * This is the Node entry. Browsers (and bundlers resolving the `browser` condition) get
 * `@weft/client/browser`: the same `Client` with the HTTP and WebSocket transports only.
 * @packageDocumentation
 */
import { ClientBase } from './client-base.js';
import { ClientConfigError } from './errors.js';
import { createGrpcClientTransport } from './grpc-transport.js';
import type { ClientOptions, Protocol, ResolvedClientOptions } from './options.js';
import {
  createNodeGrpcWebTransport,
  createNodeHttpTransport,
  createNodeWebSocketTransport,
} from './node-web.js';
import { createProgress } from './progress.js';
import type { ClientTransport } from './transport.js';

function nodeTransport(protocol: Protocol, o: ResolvedClientOptions): ClientTransport {
  switch (protocol) {
    case 'grpc':
      return createGrpcClientTransport(o);
    case 'http':
      return createNodeHttpTransport(o);
    case 'websocket':
      return createNodeWebSocketTransport(o);
    case 'grpc-web':
      return createNodeGrpcWebTransport(o);
    default:
      throw new ClientConfigError(`Client: protocol '${protocol}' is not supported`);
  }
}

/**
 * Sends DocumentArrays to a Weft (or Jina) gateway over gRPC, HTTP or WebSocket.
 *
 * @example
 * ```ts
 * const client = new Client({ port: 12345 });          // or new Client('grpcs://host:443')
 * const docs = await client.post('/', DocumentArray.empty(2), { requestSize: 100 });
 * console.log(docs.texts);
 * client.close();
 * ```
 */
export class Client extends ClientBase {
  /** @param options - `{ host, port, protocol, tls, headers, … }` or an address such as `grpcs://host:port`. */
  constructor(options: ClientOptions | string) {
    super(options, { createTransport: nodeTransport, progress: createProgress });
  }
}

export { ClientBase } from './client-base.js';
export type { CallControl, Profile, StreamDocOptions } from './client-base.js';
export {
  ClientConfigError,
  ClientError,
  Code,
  ExecutorError,
  TlsError,
  TransportError,
} from './errors.js';
export type { InputDocument, PostInputs } from './inputs.js';
export type {
  ClientOptions,
  PostOptions,
  Protocol,
  ResponseCallback,
  TlsOptions,
} from './options.js';
export type { RetryOptions } from './retry.js';
export { ClientResponse } from './response.js';
