import { Client, type ClientOptions, type PostOptions } from '@weft/client';
import { ConfigError } from '@weft/core';
import type { DocumentArray } from '@weft/docarray';
import { readTlsFiles } from '@weft/core/grpc';
import {
  creatorContext,
  type Door,
  Flow,
  flowTokens,
  INTERNAL_MODULES,
  type RuntimeInfo,
  waitForStop,
} from './flow.js';
import {
  type DeploymentOptions as BaseOptions,
  checkGatewayAccess,
  type FlowAuth,
  type FlowLimits,
  type FlowOptions,
  type GatewayProtocol,
  type NormalizedDeployment,
  normalizeDeployment,
  portList,
  type TlsFiles,
} from './options.js';
import { planContext, planDeployment } from './plan.js';
import type { RuntimeProcess } from './runtime-process.js';
import { serveRoleIfChild } from './serve-role.js';
import { checkInternalTls } from './tls-check.js';

INTERNAL_MODULES.push(import.meta.url);

/** Options of a standalone {@link Deployment}. */
export interface DeploymentRunOptions extends BaseOptions {
  /** Put a gateway in front (its `protocol`/`port`); without one, `port` is the executor's (or head's). @default true */
  includeGateway?: boolean;
  /** Gateway protocol(s), with `includeGateway`. @default 'grpc' */
  protocol?: GatewayProtocol | readonly GatewayProtocol[];
  /** Readiness timeout of every runtime in ms. @default 60000 */
  timeoutReady?: number;
  /** SIGTERM → SIGKILL grace period of `close()` in ms. @default 10000 */
  gracePeriod?: number;
  /** Restart crashed replicas with backoff. @default true */
  restart?: boolean;
  /** Folder that relative `uses` resolve against. @default the folder of the module creating the Deployment */
  baseDir?: string;
  /** Where prefixed runtime log lines go. @default process.stderr */
  log?: (line: string) => void;
  /** TLS of the executors and head, and of the gateway's calls to them; see {@link FlowOptions.internalTls}. @default plaintext */
  internalTls?: TlsFiles;
  /** Bearer tokens the gateway requires (with `includeGateway`); `post()` sends the first. @default none */
  auth?: FlowAuth;
  /** Gateway limits (with `includeGateway`); see {@link FlowLimits}. @default the gateway's defaults */
  limits?: FlowLimits;
}

/**
 * One Executor served by replica (and shard) processes, with a gateway in front unless
 * `includeGateway: false`.
 *
 * @example
 * ```ts
 * await using d = await new Deployment({ uses: Encoder, replicas: 2, port: 12345 }).start();
 * const r = await d.post('/encode', DocumentArray.empty(4));
 * ```
 */
export class Deployment {
  readonly #options: DeploymentRunOptions;
  readonly #normalized: NormalizedDeployment;
  readonly #flow: Flow | undefined;
  readonly #creator: string | undefined;
  readonly #baseDir: string;
  #runtimes: RuntimeProcess[] = [];
  #port: number | undefined;
  #state: 'new' | 'started' | 'closed' = 'new';

  constructor(options: DeploymentRunOptions) {
    this.#options = options;
    const ctx = creatorContext(import.meta.url, options.baseDir);
    this.#creator = ctx.creator;
    this.#baseDir = ctx.baseDir;
    const name = options.name ?? 'executor';
    const includeGateway = options.includeGateway ?? true;
    checkGatewayAccess(
      { auth: options.auth, limits: options.limits, internalTls: options.internalTls },
      `Deployment '${name}'`,
    );
    if (includeGateway) {
      const {
        port,
        protocol,
        timeoutReady,
        gracePeriod,
        restart,
        log,
        includeGateway: _,
        internalTls,
        auth,
        limits,
        ...rest
      } = options;
      const flowOptions: FlowOptions = {
        port,
        protocol,
        timeoutReady,
        gracePeriod,
        restart,
        log,
        internalTls,
        auth,
        limits,
        baseDir: this.#baseDir,
      };
      this.#flow = new Flow(flowOptions).add({ ...rest, name, port: undefined });
      this.#normalized = this.#flow.spec.deployments[0]!;
    } else {
      if (options.protocol !== undefined && options.protocol !== 'grpc') {
        throw new ConfigError(
          `Deployment '${name}': without a gateway it speaks gRPC only; set includeGateway: true for '${String(options.protocol)}'`,
        );
      }
      if (options.external)
        throw new ConfigError(
          `Deployment '${name}': an external deployment runs elsewhere; there is nothing to start`,
        );
      for (const k of ['auth', 'limits'] as const)
        if (options[k] !== undefined)
          throw new ConfigError(
            `Deployment '${name}': ${k} configures the gateway; set includeGateway: true`,
          );
      const ports = portList(`Deployment '${name}'`, options.port);
      if (ports.length > 1)
        throw new ConfigError(
          `Deployment '${name}': without a gateway it listens on one port, got ${ports.length}`,
        );
      const d = normalizeDeployment({ ...options, port: undefined }, name, ['gateway']);
      // Replicas without a gateway need a head to spread requests over them.
      const port = ports[0];
      this.#normalized = { ...d, head: d.head || d.replicas > 1, port };
    }
  }

  /** The deployment's name. */
  get name(): string {
    return this.#normalized.name;
  }

  /** The port clients call: the gateway's, or the executor's/head's without a gateway. */
  get port(): number | undefined {
    return this.#flow ? this.#flow.port : (this.#port ?? (this.#normalized.port as number | undefined));
  }

  /** The gateway's doors (with a gateway, once started). */
  get doors(): readonly Door[] {
    return (
      this.#flow?.doors ??
      (this.#port
        ? [
            {
              protocol: 'grpc',
              port: this.#port,
              url: `${this.#options.internalTls ? 'grpcs' : 'grpc'}://127.0.0.1:${this.#port}`,
            },
          ]
        : [])
    );
  }

  /** @internal The normalized deployment, for YAML and exports. */
  get spec(): NormalizedDeployment {
    return this.#normalized;
  }

  /** @internal The options given, for YAML. */
  get runOptions(): Readonly<DeploymentRunOptions> {
    return this.#options;
  }

  /** @internal Where relative `uses` resolve and which module created the Deployment. */
  get context(): { baseDir: string; creator?: string; protocol?: DeploymentRunOptions['protocol'] } {
    return { baseDir: this.#baseDir, creator: this.#creator, protocol: this.#options.protocol };
  }

  /** Starts every runtime; resolves when all are ready. */
  async start(): Promise<this> {
    if (await serveRoleIfChild([this.#normalized])) return new Promise<never>(() => {});
    if (this.#state !== 'new')
      throw new ConfigError(`Deployment.start: the Deployment is ${this.#state}; create a new one`);
    this.#state = 'started';
    if (this.#flow) {
      await this.#flow.start();
      return this;
    }
    const timeoutReady = this.#options.timeoutReady ?? 60_000;
    if (this.#options.internalTls)
      checkInternalTls(this.#options.internalTls, `Deployment '${this.name}': internalTls`, '127.0.0.1');
    const plan = await planDeployment(
      this.#normalized,
      planContext(this.#options, this.#baseDir, this.#creator),
    );
    this.#runtimes = [...plan.workers, ...(plan.head ? [plan.head] : [])];
    try {
      await Promise.all(plan.workers.map((r) => r.start(timeoutReady)));
      await plan.head?.start(timeoutReady);
    } catch (err) {
      await this.#stop(1000);
      this.#state = 'closed';
      throw err;
    }
    this.#port = (plan.head ?? plan.workers[0]!).port;
    return this;
  }

  /** Sends documents to the deployment and returns the result (a short-lived {@link Client}). */
  async post(
    on: string,
    inputs?: Parameters<Client['post']>[1],
    options?: PostOptions,
  ): Promise<DocumentArray> {
    const port = this.port;
    if (this.#state !== 'started' || port === undefined)
      throw new ConfigError('Deployment.post: start() the Deployment first');
    const grpcDoor = this.doors.find((d) => d.protocol === 'grpc');
    if (!grpcDoor)
      throw new ConfigError(
        'Deployment.post: it has no gRPC door; add protocol grpc or use a Client for its protocol',
      );
    const client = new Client({ port: grpcDoor.port, ...this.#clientAccess() });
    try {
      return await client.post(on, inputs, options);
    } finally {
      client.close();
    }
  }

  /** TLS and token options for `post()`'s client. */
  #clientAccess(): Pick<ClientOptions, 'tls' | 'headers'> {
    const o = this.#options;
    if (this.#flow) {
      const token = flowTokens(o.auth)?.[0];
      return token ? { headers: { authorization: `Bearer ${token}` } } : {};
    }
    if (!o.internalTls) return {};
    const m = readTlsFiles(o.internalTls, `Deployment '${this.name}': internalTls`);
    return { tls: m.ca ? { ca: m.ca, cert: m.cert, key: m.key } : true };
  }

  /** The runtimes with pid, port and state. */
  describe(): RuntimeInfo[] {
    if (this.#flow) return this.#flow.describe();
    return this.#runtimes.map((r) => ({
      name: r.name,
      kind: r.role.kind,
      pid: r.pid,
      port: r.port,
      state: r.state,
      alive: r.alive,
      restarts: r.restarts,
    }));
  }

  async #stop(graceMs: number): Promise<void> {
    const heads = this.#runtimes.filter((r) => r.role.kind === 'head');
    await Promise.all(heads.map((r) => r.stop(graceMs)));
    await Promise.all(this.#runtimes.map((r) => r.stop(graceMs)));
  }

  /** Stops every runtime (SIGTERM, SIGKILL after the grace period). */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    if (this.#flow) await this.#flow.close();
    else await this.#stop(this.#options.gracePeriod ?? 10_000);
  }

  /** Serves until SIGINT, SIGTERM or `signal` aborts, then closes. */
  async block(signal?: AbortSignal): Promise<void> {
    await waitForStop(signal);
    await this.close();
  }

  /** Closes the Deployment. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
