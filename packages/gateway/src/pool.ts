import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createWeftTransport, type WeftTransport } from '@weft/core/grpc';
import { type DataRequestProto, JinaDiscoverEndpointsRPC, JinaSingleDataRequestRPC } from '@weft/proto';

/** Options of a {@link DeploymentPool}. */
export interface PoolOptions {
  /** Deadline of one call to a replica, in ms. @default no deadline */
  timeoutSend?: number;
  /** Attempts across replicas for UNAVAILABLE failures. @default max(3, replicas) */
  retries?: number;
  /** Use TLS towards the replicas. @default false */
  tls?: boolean;
}

interface Replica {
  address: string;
  transport: WeftTransport;
  client: Client<typeof JinaSingleDataRequestRPC>;
}

/** Connections to the replicas of one deployment, with round-robin selection and retries. */
export class DeploymentPool {
  readonly name: string;
  readonly addresses: readonly string[];
  readonly #replicas: Replica[];
  readonly #options: PoolOptions;
  #next = 0;

  constructor(name: string, addresses: readonly string[], options: PoolOptions = {}) {
    if (addresses.length === 0) throw new Error(`deployment '${name}' has no addresses`);
    this.name = name;
    this.addresses = addresses;
    this.#options = options;
    this.#replicas = addresses.map((address) => {
      const transport = createWeftTransport(`${options.tls ? 'https' : 'http'}://${address}`);
      return { address, transport, client: createClient(JinaSingleDataRequestRPC, transport.transport) };
    });
  }

  /** Sends one request to one replica; retries UNAVAILABLE on the next replicas. */
  async send(req: DataRequestProto, signal?: AbortSignal): Promise<DataRequestProto> {
    const attempts = this.#options.retries ?? Math.max(3, this.#replicas.length);
    const tried: string[] = [];
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      const replica = this.#replicas[this.#next++ % this.#replicas.length]!;
      tried.push(replica.address);
      try {
        return await replica.client.process_single_data(req, {
          timeoutMs: this.#options.timeoutSend,
          signal,
        });
      } catch (err) {
        last = err;
        const ce = ConnectError.from(err);
        if (ce.code === Code.DeadlineExceeded) {
          throw new ConnectError(
            `deployment '${this.name}' did not answer within timeoutSend=${this.#options.timeoutSend} ms (replica ${replica.address})`,
            Code.DeadlineExceeded,
            undefined,
            undefined,
            err,
          );
        }
        if (signal?.aborted) throw ce;
        // CANCEL/ABORTED without our own abort: the replica's connection went away mid-call (it died).
        const retryable = [Code.Unavailable, Code.Internal, Code.Unknown, Code.Canceled, Code.Aborted];
        if (!retryable.includes(ce.code)) throw ce;
      }
    }
    throw new ConnectError(
      `deployment '${this.name}' is unavailable: ${attempts} attempts failed at ${[...new Set(tried)].join(', ')}; last error: ${ConnectError.from(last).rawMessage}`,
      Code.Unavailable,
      undefined,
      undefined,
      last,
    );
  }

  /** The endpoints the first reachable replica binds, or undefined when none answers. */
  async discoverEndpoints(timeoutMs = 5000): Promise<string[] | undefined> {
    for (const r of this.#replicas) {
      try {
        const c = createClient(JinaDiscoverEndpointsRPC, r.transport.transport);
        const res = await c.endpoint_discovery({}, { timeoutMs });
        return res.endpoints;
      } catch {
        // try the next replica
      }
    }
    return undefined;
  }

  close(): void {
    for (const r of this.#replicas) r.transport.close();
  }
}
