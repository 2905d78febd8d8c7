import { timestampMs } from '@bufbuild/protobuf/wkt';
import { Code } from '@connectrpc/connect';
import { createDataRequest } from '@weft/core';
import { Document, DocumentArray } from '@weft/docarray';
import { StatusProto_StatusCode } from '@weft/proto';
import { runRequests } from './engine.js';
import {
  type ClientError,
  ClientConfigError,
  ExecutorError,
  TransportError,
  toClientError,
} from './errors.js';
import { batches, type InputDocument, inputLength, type PostInputs } from './inputs.js';
import {
  type ClientOptions,
  normalizeClientOptions,
  normalizePostOptions,
  type PostOptions,
  type Protocol,
  type ResolvedClientOptions,
} from './options.js';
import { ClientResponse, rememberDocs } from './response.js';
import type { CallOptions, ClientTransport } from './transport.js';

/** @internal A progress display for one post. */
export interface ProgressSink {
  /** `docs` more documents came back. */
  update(docs: number): void;
  stop(): void;
}

/** @internal What differs between the Node and the browser build. */
export interface ClientEnvironment {
  createTransport(protocol: Protocol, options: ResolvedClientOptions): ClientTransport;
  progress?(total: number | undefined): ProgressSink | undefined;
}

/** Options of calls that send one thing: `isFlowReady`, `profile`, `streamDoc`. */
export interface CallControl {
  /** Deadline in ms. @default 5000 for isFlowReady, none otherwise */
  timeoutMs?: number;
  /** Aborts the call. @default none */
  signal?: AbortSignal;
  /** Extra headers, merged over the client's. @default {} */
  headers?: Record<string, string>;
}

/** Options of {@link ClientBase.streamDoc}. */
export interface StreamDocOptions extends CallControl {
  /** Parameters for the executors. @default {} */
  parameters?: Record<string, unknown>;
  /** Regular expression selecting the deployments that run. @default all */
  targetExecutor?: string;
}

/** Per-hop times of one request, in milliseconds (see {@link ClientBase.profile}). */
export interface Profile {
  /** From sending the request to reading the response, on the client. */
  roundtrip: number;
  /** Time inside the gateway not spent in executors (gateway route minus executor routes). */
  gateway: number;
  /** Time spent in each deployment, by name, in route order. */
  executors: Record<string, number>;
}

interface Signals {
  signal: AbortSignal;
  abortError: () => ClientError;
  dispose: () => void;
}

function combineSignals(
  address: string,
  what: string,
  closed: AbortSignal,
  signal?: AbortSignal,
  timeoutMs?: number,
): Signals {
  const parts: AbortSignal[] = [closed];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new AbortController();
  if (timeoutMs !== undefined) {
    timer = setTimeout(
      () =>
        timeout.abort(
          new TransportError(
            `${address}: ${what} did not finish within ${timeoutMs} ms`,
            Code.DeadlineExceeded,
          ),
        ),
      timeoutMs,
    );
    parts.push(timeout.signal);
  }
  if (signal) parts.push(signal);
  const combined = AbortSignal.any(parts);
  return {
    signal: combined,
    abortError: () => {
      if (timeout.signal.aborted) return timeout.signal.reason as TransportError;
      if (closed.aborted) {
        return new TransportError(`${address}: ${what} was cancelled: the client was closed`, Code.Canceled, {
          retryable: false,
        });
      }
      const reason = signal?.reason;
      const text =
        reason instanceof Error ? reason.message : reason === undefined ? 'aborted' : String(reason);
      return new TransportError(`${address}: ${what} was aborted (${text})`, Code.Canceled, {
        cause: reason,
        retryable: false,
      });
    },
    dispose: () => clearTimeout(timer),
  };
}

/**
 * The protocol-neutral client; `Client` of `@weft/client` (Node) and of its browser build extend it
 * with their transports.
 */
export class ClientBase {
  /** Gateway host. */
  readonly host: string;
  /** Gateway port. */
  readonly port: number;
  /** Protocol in use. */
  readonly protocol: Protocol;
  /** Whether TLS is on. */
  readonly tls: boolean;
  /** The gateway's address as a URL-like string (`grpcs://host:port`). */
  readonly address: string;
  readonly #options: ResolvedClientOptions;
  readonly #env: ClientEnvironment;
  #transport: ClientTransport | undefined;
  #closed = false;
  readonly #closing = new AbortController();

  constructor(options: ClientOptions | string, env: ClientEnvironment) {
    this.#options = normalizeClientOptions(options);
    this.#env = env;
    this.host = this.#options.host;
    this.port = this.#options.port;
    this.protocol = this.#options.protocol;
    this.tls = this.#options.tls;
    this.address = this.#options.address;
  }

  #t(): ClientTransport {
    if (this.#closed) throw new ClientConfigError(`Client(${this.address}) is closed; create a new one`);
    this.#transport ??= this.#env.createTransport(this.protocol, this.#options);
    return this.#transport;
  }

  #headers(extra?: Record<string, string>): Record<string, string> {
    return { ...this.#options.headers, ...(extra ?? {}) };
  }

  /**
   * Sends `inputs` to endpoint `on` in requests of `requestSize` documents and resolves to the
   * documents of all responses (arrival order, or input order with `resultsInOrder`). With
   * `returnResponses` it resolves to the responses. With `onDone` or `onAlways` it collects
   * nothing and resolves to an empty result (stream anything size through callbacks).
   *
   * Rejects with {@link ExecutorError} on an ERROR response (unless `onError` or
   * `continueOnError`), {@link TransportError} when the gateway cannot be reached (after
   * `maxAttempts`), {@link TlsError} on TLS problems.
   */
  post(
    on: string,
    inputs: PostInputs,
    options: PostOptions & { returnResponses: true },
  ): Promise<ClientResponse[]>;
  post(on: string, inputs?: PostInputs, options?: PostOptions): Promise<DocumentArray>;
  async post(
    on: string,
    inputs?: PostInputs,
    options: PostOptions = {},
  ): Promise<DocumentArray | ClientResponse[]> {
    const collect = !options.onDone && !options.onAlways;
    const responses: ClientResponse[] = [];
    const docs: Document[] = [];
    for await (const r of this.#responses(on, inputs, options)) {
      if (!collect || r.isError) continue;
      if (options.returnResponses) responses.push(r);
      else for (const d of r.docs) docs.push(d);
    }
    if (options.returnResponses) return responses;
    const out = new DocumentArray();
    out.pushRaw(docs);
    return out;
  }

  /**
   * Like {@link post}, but yields each response as it arrives. Backpressure: while the consumer
   * is busy, at most `prefetch` requests stay in flight and the input is not read further, so
   * memory stays bounded for inputs of any size. Leaving the loop early cancels the rest.
   */
  stream(on: string, inputs?: PostInputs, options: PostOptions = {}): AsyncIterable<ClientResponse> {
    return this.#responses(on, inputs, options);
  }

  async *#responses(on: string, inputs: PostInputs, options: PostOptions): AsyncGenerator<ClientResponse> {
    if (typeof on !== 'string' || on === '') {
      throw new ClientConfigError(
        `post: endpoint ${JSON.stringify(on)} is not valid; give a string like '/' or '/index'`,
      );
    }
    const p = normalizePostOptions(options);
    const transport = this.#t();
    const duplex = this.protocol === 'websocket' || (this.protocol === 'grpc' && p.stream);
    const s = combineSignals(
      this.address,
      `post('${on}')`,
      this.#closing.signal,
      options.signal,
      options.timeoutMs,
    );
    const total = options.inputLength ?? inputLength(inputs);
    const progress = options.showProgress ? this.#env.progress?.(total) : undefined;
    const { parameters, targetExecutor } = options;
    async function* requests() {
      for await (const docs of batches(inputs, p.requestSize)) {
        // Documents travel as `docs_bytes` (a serialized DocumentArrayProto): far cheaper to
        // build than a tree of DocumentProto messages, and read by Weft and Jina alike.
        const req = createDataRequest({ endpoint: on, parameters, targetExecutor });
        req.data = {
          $typeName: 'jina.DataRequestProto.DataContentProto',
          documents: { case: 'docsBytes', value: docs.toBytes() },
        };
        rememberDocs(req, docs);
        yield req;
      }
    }
    try {
      const engine = runRequests(requests(), {
        transport,
        duplex,
        prefetch: p.prefetch,
        resultsInOrder: p.resultsInOrder,
        retry: p.retry,
        signal: s.signal,
        abortError: s.abortError,
        headers: this.#headers(options.headers),
        context: { address: this.address, tls: this.tls },
      });
      for await (const proto of engine) {
        const r = new ClientResponse(proto);
        if (progress) progress.update(r.docs.length);
        if (r.isError) {
          const err = new ExecutorError(proto);
          if (options.onError) await options.onError(r, err);
          else if (!options.continueOnError) throw err;
        } else if (options.onDone) {
          await options.onDone(r);
        }
        if (options.onAlways) await options.onAlways(r);
        yield r;
      }
    } finally {
      s.dispose();
      progress?.stop();
    }
  }

  /** Sends documents to `/index` (see {@link post}). */
  index(inputs?: PostInputs, options?: PostOptions): Promise<DocumentArray> {
    return this.post('/index', inputs, options);
  }
  /** Sends documents to `/search` (see {@link post}). */
  search(inputs?: PostInputs, options?: PostOptions): Promise<DocumentArray> {
    return this.post('/search', inputs, options);
  }
  /** Sends documents to `/update` (see {@link post}). */
  update(inputs?: PostInputs, options?: PostOptions): Promise<DocumentArray> {
    return this.post('/update', inputs, options);
  }
  /** Sends documents to `/delete` (see {@link post}). */
  delete(inputs?: PostInputs, options?: PostOptions): Promise<DocumentArray> {
    return this.post('/delete', inputs, options);
  }

  /**
   * Whether the Flow answers: the gateway's dry run sends an empty request through every
   * deployment. Resolves false (never rejects) when the gateway or a deployment is down, or when
   * `timeoutMs` (default 5000) passes.
   */
  async isFlowReady(options: CallControl = {}): Promise<boolean> {
    const s = combineSignals(
      this.address,
      'isFlowReady',
      this.#closing.signal,
      options.signal,
      options.timeoutMs ?? 5000,
    );
    try {
      const status = await this.#t().dryRun({ signal: s.signal, headers: this.#headers(options.headers) });
      return status.code === StatusProto_StatusCode.SUCCESS;
    } catch {
      return false;
    } finally {
      s.dispose();
    }
  }

  /**
   * Sends one empty document to `on` (default `/`) and reports where the time went, from the
   * response's `routes`: roundtrip on the client, gateway overhead, and each deployment.
   */
  async profile(on = '/', options: CallControl = {}): Promise<Profile> {
    const started = Date.now();
    const [res] = await this.post(on, [new Document()], {
      returnResponses: true,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      headers: options.headers,
    });
    const roundtrip = Date.now() - started;
    const executors: Record<string, number> = {};
    let gatewayTotal = 0;
    let spent = 0;
    for (const route of res?.routes ?? []) {
      const ms =
        route.startTime && route.endTime ? timestampMs(route.endTime) - timestampMs(route.startTime) : 0;
      if (route.executor === 'gateway') gatewayTotal = ms;
      else {
        executors[route.executor] = (executors[route.executor] ?? 0) + ms;
        spent += ms;
      }
    }
    return { roundtrip, gateway: Math.max(0, (gatewayTotal || roundtrip) - spent), executors };
  }

  /**
   * Calls a streaming endpoint (an executor handler that is an async generator) with one
   * document and yields the documents it streams back, in order (gRPC `stream_doc`).
   */
  async *streamDoc(
    on: string,
    doc: Document | InputDocument,
    options: StreamDocOptions = {},
  ): AsyncGenerator<Document> {
    const t = this.#t();
    if (!t.streamDoc) {
      throw new ClientConfigError(
        `streamDoc is not available over ${this.protocol} here; use protocol 'grpc'`,
      );
    }
    const d = doc instanceof Document ? doc : new Document(doc);
    const s = combineSignals(
      this.address,
      `streamDoc('${on}')`,
      this.#closing.signal,
      options.signal,
      options.timeoutMs,
    );
    const call: CallOptions = { signal: s.signal, headers: this.#headers(options.headers) };
    try {
      yield* t.streamDoc(on, d, options, call);
    } catch (err) {
      if (err instanceof ExecutorError) throw err;
      throw s.signal.aborted ? s.abortError() : toClientError(err, { address: this.address, tls: this.tls });
    } finally {
      s.dispose();
    }
  }

  /** Closes the connection(s) to the gateway; calls in flight fail with CANCELED. */
  close(): void {
    this.#closed = true;
    this.#closing.abort();
    this.#transport?.close();
    this.#transport = undefined;
  }

  /** Same as {@link close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
