import type { JsonObject } from '@bufbuild/protobuf';
import { createClient, type Client as ConnectClient } from '@connectrpc/connect';
import { ConfigError, createDataRequest, isErrorResponse, parseAddress, requestDocs } from '@weft/core';
import { createWeftTransport, type WeftTransport } from '@weft/core/grpc';
import { DocumentArray } from '@weft/docarray';
import { type DataRequestProto, JinaRPC } from '@weft/proto';
import { ExecutorError } from './errors.js';
import { batches, type PostInputs } from './inputs.js';

/** Options of {@link Client}. */
export interface ClientOptions {
  /** Gateway host. @default '127.0.0.1' */
  host?: string;
  /** Gateway port. */
  port: number;
  /** Protocol of the gateway door. @default 'grpc' */
  protocol?: 'grpc';
  /** Use TLS. @default false */
  tls?: boolean;
}

/** Options of {@link Client.post}. */
export interface PostOptions {
  /** Documents per request; ≤ 0 sends everything in one request. @default 100 */
  requestSize?: number;
  /** Parameters for the executors. */
  parameters?: JsonObject;
  /** Regular expression selecting which deployments run. */
  targetExecutor?: string;
  /** Aborts the call. */
  signal?: AbortSignal;
  /** Deadline of the whole call in ms. */
  timeoutMs?: number;
}

/**
 * Sends DocumentArrays to a Weft (or Jina) gateway.
 *
 * @example
 * ```ts
 * const c = new Client({ port: 12345 });
 * const r = await c.post('/', DocumentArray.empty(2));
 * console.log(r.texts);
 * c.close();
 * ```
 */
export class Client {
  readonly host: string;
  readonly port: number;
  readonly protocol: 'grpc';
  readonly tls: boolean;
  #transport: WeftTransport | undefined;
  #rpc: ConnectClient<typeof JinaRPC> | undefined;

  constructor(options: ClientOptions | string) {
    if (typeof options === 'string') {
      const a = parseAddress(options);
      if (a.scheme !== 'grpc')
        throw new ConfigError(`protocol '${a.scheme}' is not supported by this client yet; use grpc://`);
      this.host = a.host;
      this.port = a.port;
      this.tls = a.tls;
    } else {
      if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
        throw new ConfigError(`Client: port ${options.port} is not valid; give the gateway's port (1–65535)`);
      }
      this.host = options.host ?? '127.0.0.1';
      this.port = options.port;
      this.tls = options.tls ?? false;
    }
    this.protocol = 'grpc';
  }

  #client(): ConnectClient<typeof JinaRPC> {
    if (!this.#rpc) {
      this.#transport = createWeftTransport(`${this.tls ? 'https' : 'http'}://${this.host}:${this.port}`);
      this.#rpc = createClient(JinaRPC, this.#transport.transport);
    }
    return this.#rpc;
  }

  /**
   * Sends `inputs` to endpoint `on` in batches of `requestSize`, and returns the documents of all
   * responses in input order. Rejects with {@link ExecutorError} when an executor failed.
   */
  async post(on: string, inputs?: PostInputs, options: PostOptions = {}): Promise<DocumentArray> {
    const order: string[] = [];
    const byId = new Map<string, DataRequestProto>();
    const requestSize = options.requestSize ?? 100;
    const requests = async function* () {
      for await (const docs of batches(inputs, requestSize)) {
        const req = createDataRequest({
          endpoint: on,
          docs,
          parameters: options.parameters,
          targetExecutor: options.targetExecutor,
        });
        order.push(req.header!.requestId);
        yield req;
      }
    };
    for await (const res of this.#client().call(requests(), {
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    })) {
      if (isErrorResponse(res)) throw new ExecutorError(res);
      byId.set(res.header?.requestId ?? '', res);
    }
    const out = new DocumentArray();
    for (const id of order) {
      const res = byId.get(id);
      if (res) out.pushRaw(requestDocs(res).toArray());
    }
    return out;
  }

  /** Closes the connection to the gateway. */
  close(): void {
    this.#transport?.close();
    this.#transport = undefined;
    this.#rpc = undefined;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
