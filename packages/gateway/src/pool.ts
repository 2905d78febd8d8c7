import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { create, toBinary } from '@bufbuild/protobuf';
import { type Client, Code, ConnectError, createClient } from '@connectrpc/connect';
import {
  createLeanClient,
  createWeftTransport,
  decodeDataRequest,
  encodeDataRequest,
  type LeanClient,
  type WeftTransport,
} from '@weft/core/grpc';
import {
  type DataRequestProto,
  DataRequestListProtoSchema,
  Health,
  HealthCheckResponse_ServingStatus,
  JinaDiscoverEndpointsRPC,
  JinaSingleDocumentRequestRPC,
  type SingleDocumentRequestProto,
} from '@weft/proto';

const SINGLE_PATH = '/jina.JinaSingleDataRequestRPC/process_single_data';
const MULTI_PATH = '/jina.JinaDataRequestRPC/process_data';

/**
 * TLS towards replicas: `true` verifies against the system CAs; an object names the CA to trust
 * and, for replicas that require mutual TLS, the client certificate and key to present.
 */
export type PoolTls =
  | boolean
  | {
      ca?: string | Buffer;
      cert?: string | Buffer;
      key?: string | Buffer;
      insecureSkipVerify?: boolean;
    };

/** Options of a {@link DeploymentPool}. */
export interface PoolOptions {
  /** Deadline of one call to a replica, in ms; 0 or undefined means none. @default no deadline */
  timeoutSend?: number;
  /** Attempts across replicas for UNAVAILABLE/connection failures. @default max(3, replicas) */
  retries?: number;
  /** Use TLS towards the replicas. @default false */
  tls?: PoolTls;
  /** How a replica is picked for each call. @default 'least-in-flight' */
  selection?: 'round-robin' | 'least-in-flight';
  /** First and largest delay between health probes of an ejected replica, in ms. @default [100, 5000] */
  probeBackoffMs?: readonly [number, number];
  /** Resolves a DNS name to the addresses of its replicas. @default `dns.lookup(host, { all: true })` */
  resolve?: (host: string) => Promise<string[]>;
  /** How often DNS names are resolved again (0 = never). @default 30000 */
  dnsRefreshMs?: number;
}

/** What the pool reports about each call (for metrics and tracing). */
export interface CallObserver {
  /** Called when a call to one replica ends, successfully or not. */
  onCall?(info: { deployment: string; address: string; ms: number; code: Code | undefined }): void;
  /** Called when an ejected replica answers its health probe again. */
  onRejoin?(deployment: string, address: string): void;
}

/** Per-call options of {@link DeploymentPool.send}. */
export interface SendOptions {
  /** Aborts the call (and stops retries). @default none */
  signal?: AbortSignal;
  /** Extra gRPC metadata (e.g. `traceparent`). */
  headers?: Record<string, string>;
}

class Replica {
  inFlight = 0;
  ejected = false;
  #probe: NodeJS.Timeout | undefined;
  #closed = false;
  /** The hot RPCs (`process_single_data`, `process_data`) over raw bytes. */
  readonly lean: LeanClient;
  /** Everything else (streaming, discovery, health) through connect. */
  readonly transport: WeftTransport;
  readonly docStream: Client<typeof JinaSingleDocumentRequestRPC>;
  readonly discover: Client<typeof JinaDiscoverEndpointsRPC>;
  readonly health: Client<typeof Health>;

  constructor(
    readonly address: string,
    tls: PoolTls | undefined,
    /** Under TLS, the DNS name `address` was resolved from: the certificate must carry it. */
    servername?: string,
  ) {
    const opts = { ...(typeof tls === 'object' ? tls : {}), ...(tls && servername ? { servername } : {}) };
    const url = `${tls ? 'https' : 'http'}://${address}`;
    this.lean = createLeanClient(url, opts);
    this.transport = createWeftTransport(url, opts);
    const t = this.transport.transport;
    this.docStream = createClient(JinaSingleDocumentRequestRPC, t);
    this.discover = createClient(JinaDiscoverEndpointsRPC, t);
    this.health = createClient(Health, t);
  }

  /** Takes the replica out of rotation and probes it with backoff until it answers SERVING. */
  eject(backoff: readonly [number, number], onRejoin: () => void): void {
    if (this.ejected || this.#closed) return;
    this.ejected = true;
    let delay = backoff[0];
    const probe = async () => {
      if (this.#closed) return;
      try {
        const r = await this.health.check({}, { timeoutMs: 1000 });
        if (r.status === HealthCheckResponse_ServingStatus.SERVING) {
          this.ejected = false;
          this.#probe = undefined;
          onRejoin();
          return;
        }
      } catch {
        // still down
      }
      if (this.#closed) return;
      delay = Math.min(delay * 2, backoff[1]);
      this.#probe = setTimeout(probe, delay);
      this.#probe.unref();
    };
    this.#probe = setTimeout(probe, delay);
    this.#probe.unref();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#probe);
    this.lean.close();
    this.transport.close();
  }
}

// Connection failures surface as UNAVAILABLE, or ABORTED (ECONNRESET) / CANCELED (HTTP/2 stream CANCEL when the
// session dies) / INTERNAL / UNKNOWN;
// a cancellation by our own signal is never retried (checked separately).
const RETRYABLE = new Set([Code.Unavailable, Code.Aborted, Code.Canceled, Code.Internal, Code.Unknown]);

/**
 * Connections to the replicas of one deployment (one HTTP/2 session each): least-in-flight or
 * round-robin selection, per-call deadlines, retries on another replica for UNAVAILABLE and
 * connection failures, and ejection of failing replicas until their health probe answers again.
 * A DNS name in the addresses stands for every address it resolves to.
 */
export class DeploymentPool {
  readonly name: string;
  /** The addresses as given. */
  readonly addresses: readonly string[];
  #replicas: Replica[] = [];
  readonly #options: PoolOptions;
  readonly #observer: CallObserver;
  readonly #ready: Promise<void>;
  #next = 0;
  #closed = false;
  #refresh: NodeJS.Timeout | undefined;

  constructor(
    name: string,
    addresses: readonly string[],
    options: PoolOptions = {},
    observer: CallObserver = {},
  ) {
    if (addresses.length === 0) throw new Error(`deployment '${name}' has no addresses`);
    this.name = name;
    this.addresses = addresses;
    this.#options = options;
    this.#observer = observer;
    const literal = addresses.every((a) => {
      const host = hostOf(a);
      return isIP(host) !== 0 || host === 'localhost';
    });
    if (literal) {
      this.#replicas = addresses.map((a) => new Replica(a, options.tls));
      this.#ready = Promise.resolve();
    } else {
      this.#ready = this.#resolve();
    }
  }

  async #resolve(): Promise<void> {
    const expanded: string[] = [];
    // Under TLS, each resolved address is verified against the name it came from.
    const names = new Map<string, string>();
    let failed = false;
    for (const a of this.addresses) {
      const host = hostOf(a);
      if (isIP(host) !== 0 || host === 'localhost') {
        expanded.push(a);
        continue;
      }
      try {
        const all = this.#options.resolve
          ? await this.#options.resolve(host)
          : (await lookup(host, { all: true })).map((x) => x.address);
        const port = a.slice(a.lastIndexOf(':') + 1);
        for (const ip of all) {
          const address = isIP(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
          expanded.push(address);
          names.set(address, host);
        }
      } catch {
        failed = true;
        expanded.push(a); // calls will fail as UNAVAILABLE naming the address
      }
    }
    if (this.#closed) return;
    // A failed lookup keeps the replicas we know rather than dropping them.
    if (!(failed && this.#replicas.length)) {
      const known = new Map(this.#replicas.map((r) => [r.address, r]));
      const next = [...new Set(expanded)].map(
        (a) => known.get(a) ?? new Replica(a, this.#options.tls, names.get(a)),
      );
      for (const r of this.#replicas) if (!next.includes(r)) r.close();
      this.#replicas = next;
    }
    // DNS answers change (pods come and go behind a headless Service): look again periodically.
    const every = this.#options.dnsRefreshMs ?? 30_000;
    if (every > 0) {
      this.#refresh = setTimeout(() => void this.#resolve(), every);
      this.#refresh.unref();
    }
  }

  /** Replica addresses after DNS resolution. */
  async replicaAddresses(): Promise<string[]> {
    await this.#ready;
    return this.#replicas.map((r) => r.address);
  }

  /** Addresses currently out of rotation. */
  get ejected(): string[] {
    return this.#replicas.filter((r) => r.ejected).map((r) => r.address);
  }

  #pick(tried: Set<Replica>): Replica {
    const all = this.#replicas;
    const fresh = all.filter((r) => !tried.has(r));
    const pool0 = fresh.length ? fresh : all;
    const live = pool0.filter((r) => !r.ejected);
    const pool = live.length ? live : pool0;
    const start = this.#next++;
    if (this.#options.selection === 'round-robin') return pool[start % pool.length]!;
    let best = pool[start % pool.length]!;
    for (let i = 1; i < pool.length; i++) {
      const r = pool[(start + i) % pool.length]!;
      if (r.inFlight < best.inFlight) best = r;
    }
    return best;
  }

  async #attempt<T>(
    call: (r: Replica, timeoutMs: number | undefined) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    await this.#ready;
    const attempts = this.#options.retries ?? Math.max(3, this.#replicas.length);
    const timeout = this.#options.timeoutSend || undefined;
    const tried = new Set<Replica>();
    const triedAddresses: string[] = [];
    let last: unknown;
    for (let i = 0; i < Math.max(1, attempts); i++) {
      if (this.#closed)
        throw new ConnectError(`deployment '${this.name}': the gateway is closing`, Code.Unavailable);
      const r = this.#pick(tried);
      tried.add(r);
      triedAddresses.push(r.address);
      r.inFlight++;
      const t0 = performance.now();
      let code: Code | undefined;
      try {
        return await call(r, timeout);
      } catch (err) {
        last = err;
        const ce = ConnectError.from(err);
        code = ce.code;
        if (ce.code === Code.DeadlineExceeded && !signal?.aborted) {
          throw new ConnectError(
            `deployment '${this.name}' did not answer within timeoutSend=${timeout} ms (replica ${r.address}); raise timeoutSend or check the executor`,
            Code.DeadlineExceeded,
            undefined,
            undefined,
            err,
          );
        }
        if (!RETRYABLE.has(ce.code) || signal?.aborted) throw ce;
        r.eject(this.#options.probeBackoffMs ?? [100, 5000], () =>
          this.#observer.onRejoin?.(this.name, r.address),
        );
      } finally {
        r.inFlight--;
        this.#observer.onCall?.({
          deployment: this.name,
          address: r.address,
          ms: performance.now() - t0,
          code,
        });
      }
    }
    throw new ConnectError(
      `deployment '${this.name}' is unavailable: ${triedAddresses.length} attempts failed at ${[...new Set(triedAddresses)].join(', ')}; last error: ${ConnectError.from(last).rawMessage}`,
      Code.Unavailable,
      undefined,
      undefined,
      last,
    );
  }

  /**
   * Sends one request to one replica (`process_single_data`), or several parts of a join in one
   * call (`process_data`); retries UNAVAILABLE/connection failures on other replicas.
   */
  async send(
    req: DataRequestProto | DataRequestProto[],
    options: SendOptions = {},
  ): Promise<DataRequestProto> {
    const { signal, headers } = options;
    // Documents travel as they came (see decodeDataRequest): encoded once per call, not per attempt.
    const [path, message] = Array.isArray(req)
      ? [
          MULTI_PATH,
          toBinary(DataRequestListProtoSchema, create(DataRequestListProtoSchema, { requests: req })),
        ]
      : [SINGLE_PATH, encodeDataRequest(req)];
    const answer = await this.#attempt(
      (r, timeoutMs) => r.lean.unary(path, message, { timeoutMs, signal, headers }),
      signal,
    );
    try {
      return decodeDataRequest(answer.message);
    } catch (err) {
      throw new ConnectError(
        `deployment '${this.name}' answered with a malformed DataRequestProto: ${ConnectError.from(err).rawMessage}`,
        Code.Internal,
      );
    }
  }

  /** Streams `stream_doc` from one replica (no retries once the stream has started). */
  async *streamDoc(
    req: SingleDocumentRequestProto,
    options: SendOptions = {},
  ): AsyncIterable<SingleDocumentRequestProto> {
    await this.#ready;
    const r = this.#pick(new Set());
    yield* r.docStream.stream_doc(req, {
      signal: options.signal,
      headers: options.headers,
      timeoutMs: this.#options.timeoutSend || undefined,
    });
  }

  /** The endpoints the first reachable replica binds, or undefined when none answers. */
  async discoverEndpoints(timeoutMs = 5000): Promise<string[] | undefined> {
    await this.#ready;
    for (const r of this.#replicas) {
      try {
        const res = await r.discover.endpoint_discovery({}, { timeoutMs });
        return res.endpoints;
      } catch {
        // try the next replica
      }
    }
    return undefined;
  }

  /** Closes every replica session and stops probes. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#refresh);
    for (const r of this.#replicas) r.close();
  }
}

function hostOf(address: string): string {
  const i = address.lastIndexOf(':');
  const host = i > 0 ? address.slice(0, i) : address;
  return host.replace(/^\[|\]$/g, '');
}
