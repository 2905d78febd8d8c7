import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JsonObject } from '@bufbuild/protobuf';
import { ConfigError, callerModule } from '@weft/core';
import { readTlsFiles, readTokensFile } from '@weft/core/grpc';
import {
  checkExternalTls,
  checkGatewayAccess,
  type DeploymentOptions,
  type FlowAuth,
  type FlowOptions,
  type GatewayProtocol,
  gatewayDoors,
  type NormalizedDeployment,
  normalizeDeployment,
} from './options.js';
import { flowchartSvg } from './flowchart-svg.js';
import { planContext, planDeployment } from './plan.js';
import { freePort } from './ports.js';
import type { GatewayRole, RuntimeSecrets } from './role.js';
import { RuntimeProcess, type RuntimeState } from './runtime-process.js';
import { serveRoleIfChild } from './serve-role.js';
import { checkInternalTls } from './tls-check.js';
import { graphDescription, mermaid, openBranches, validateTopology } from './topology.js';

/** A runtime as {@link Flow.describe} reports it. */
export interface RuntimeInfo {
  /** Runtime name, e.g. `executor0/rep-1` or `gateway`. */
  name: string;
  /** What it runs. */
  kind: 'executor' | 'head' | 'gateway';
  /** Current process id (changes on restart). */
  pid: number | undefined;
  /** Port it listens on (kept across restarts). */
  port: number;
  /** Lifecycle state. */
  state: RuntimeState;
  /** Whether the process is running. */
  alive: boolean;
  /** Restarts after crashes. */
  restarts: number;
}

/** A door of a started gateway. */
export interface Door {
  protocol: GatewayProtocol;
  port: number;
  /** e.g. `grpc://127.0.0.1:12345`, `http://…`, `ws://…` (`grpcs`/`https`/`wss` with TLS). */
  url: string;
}

type State = 'new' | 'starting' | 'started' | 'closing' | 'closed';

const SCHEME: Record<GatewayProtocol, [string, string]> = {
  grpc: ['grpc', 'grpcs'],
  http: ['http', 'https'],
  websocket: ['ws', 'wss'],
};

/** @internal Weft modules that construct Flows on the user's behalf; skipped when finding the user's module. */
export const INTERNAL_MODULES: string[] = [import.meta.url];

/** The module that created a Flow/Deployment, and the folder relative `uses` resolve against. */
export function creatorContext(self: string, baseDir?: string): { creator?: string; baseDir: string } {
  const creator = callerModule(self, ...INTERNAL_MODULES);
  return {
    creator,
    baseDir: baseDir ?? (creator?.startsWith('file:') ? dirname(fileURLToPath(creator)) : process.cwd()),
  };
}

/**
 * A Flow: a gateway in front of a DAG of deployments, each one Executor served by replica processes.
 *
 * @example
 * ```ts
 * const f = new Flow({ port: 12345 }).add({ uses: FooExec, replicas: 3 }).add({ uses: BarExec });
 * await f.start();
 * // … use a Client against port 12345 …
 * await f.close();
 * ```
 */
export class Flow {
  readonly #options: FlowOptions;
  readonly #deployments: NormalizedDeployment[] = [];
  readonly #creator: string | undefined;
  readonly #baseDir: string;
  #last = 'gateway';
  #workers: RuntimeProcess[] = [];
  #heads: RuntimeProcess[] = [];
  #gateway: RuntimeProcess | undefined;
  #doors: Door[] = [];
  #state: State = 'new';

  constructor(options: FlowOptions = {}) {
    gatewayDoors(options);
    for (const k of ['timeoutReady', 'timeoutSend', 'gracePeriod', 'prefetch'] as const) {
      const v = options[k];
      if (v !== undefined && (!Number.isInteger(v) || v < 0)) {
        throw new ConfigError(
          `Flow: ${k} must be a whole number of ${k === 'prefetch' ? 'requests' : 'ms'} ≥ 0, got ${v}`,
        );
      }
    }
    checkGatewayAccess(options);
    this.#options = { ...options };
    const ctx = creatorContext(import.meta.url, options.baseDir);
    this.#creator = ctx.creator;
    this.#baseDir = ctx.baseDir;
  }

  /** Adds a deployment; chains to the previous non-floating one unless `needs` says otherwise. */
  add(options: DeploymentOptions): this {
    if (this.#state !== 'new')
      throw new ConfigError('Flow.add: the Flow has already started; add deployments before start()');
    const name = options.name ?? `executor${this.#deployments.length}`;
    if (this.#deployments.some((d) => d.name === name)) {
      throw new ConfigError(`Flow.add: deployment name '${name}' is already taken; names must be unique`);
    }
    const needs =
      options.needs === undefined
        ? [this.#last]
        : typeof options.needs === 'string'
          ? [options.needs]
          : [...options.needs];
    if (needs.length === 0)
      throw new ConfigError(`Flow.add('${name}'): needs is empty; give 'gateway' to start a new branch`);
    const d = normalizeDeployment(options, name, needs);
    if (needs.includes(name)) throw new ConfigError(`Flow.add('${name}'): a deployment cannot need itself`);
    this.#deployments.push(d);
    if (!d.floating) this.#last = name;
    return this;
  }

  /** Adds a pass-through deployment that joins `needs` (Jina's `needs`). */
  needs(
    needs: string | readonly string[],
    options: Omit<DeploymentOptions, 'needs' | 'uses'> & { uses?: DeploymentOptions['uses'] } = {},
  ): this {
    return this.add({ uses: '@weft/executor-runtime#Executor', name: 'joiner', ...options, needs });
  }

  /** Adds a pass-through deployment that joins every open branch (Jina's `needs_all`). */
  needsAll(
    options: Omit<DeploymentOptions, 'needs' | 'uses'> & { uses?: DeploymentOptions['uses'] } = {},
  ): this {
    const open = openBranches(this.#deployments);
    return this.needs(open.length ? open : ['gateway'], options);
  }

  /** Checks the topology: unknown needs and cycles throw a `TopologyError` naming the culprit. */
  validate(): this {
    validateTopology(this.#deployments);
    checkExternalTls(this.#options, this.#deployments);
    return this;
  }

  /** The gateway's first port (known once started, or when given). */
  get port(): number | undefined {
    return this.#doors[0]?.port ?? gatewayDoors(this.#options).ports[0];
  }

  /** The gateway's doors with their URLs (once started). */
  get doors(): readonly Door[] {
    return this.#doors;
  }

  /** The deployments' names in order. */
  get deploymentNames(): string[] {
    return this.#deployments.map((d) => d.name);
  }

  /** @internal The normalized deployments and options, for YAML and exports. */
  get spec(): {
    options: FlowOptions;
    deployments: readonly NormalizedDeployment[];
    baseDir: string;
    creator?: string;
  } {
    return {
      options: this.#options,
      deployments: this.#deployments,
      baseDir: this.#baseDir,
      creator: this.#creator,
    };
  }

  /** Jina's graph description of this Flow. */
  graphDescription(): Record<string, string[]> {
    this.validate();
    return graphDescription(this.#deployments);
  }

  /** A Mermaid flowchart of the topology. */
  plot(): string {
    this.validate();
    return mermaid(this.#deployments);
  }

  /** A standalone SVG drawing of the topology. */
  plotSvg(): string {
    this.validate();
    return flowchartSvg(this.#deployments);
  }

  /** Starts every runtime and the gateway; resolves when all are ready. Fails fast, stopping the rest. */
  async start(): Promise<this> {
    if (await serveRoleIfChild(this.#deployments)) return new Promise<never>(() => {});
    if (this.#state !== 'new')
      throw new ConfigError(`Flow.start: the Flow is ${this.#state}; create a new Flow to start again`);
    this.validate();
    // Files are checked before anything starts, so that a bad path fails here, naming it.
    if (this.#options.tls) readTlsFiles(this.#options.tls, 'Flow: tls');
    if (this.#options.internalTls)
      checkInternalTls(this.#options.internalTls, 'Flow: internalTls', '127.0.0.1');
    const secrets: RuntimeSecrets = { tokens: flowTokens(this.#options.auth) };
    this.#state = 'starting';
    const timeoutReady = this.#options.timeoutReady ?? 60_000;
    const ctx = planContext(this.#options, this.#baseDir, this.#creator);
    try {
      const addresses: Record<string, string[]> = {};
      const conditions: Record<string, JsonObject> = {};
      const deployments: GatewayRole['deployments'] = {};
      for (const d of this.#deployments) {
        const plan = await planDeployment(d, ctx);
        this.#workers.push(...plan.workers);
        if (plan.head) this.#heads.push(plan.head);
        addresses[d.name] = plan.addresses;
        if (d.when) conditions[d.name] = d.when;
        deployments[d.name] = {
          timeoutSend: d.timeoutSend ?? this.#options.timeoutSend,
          retries: d.retries,
          tls: d.external ? d.tls : undefined,
        };
      }
      const ready = (r: RuntimeProcess) =>
        r.start(this.#deployments.find((d) => d.name === deploymentOf(r))?.timeoutReady ?? timeoutReady);
      const { protocols, ports } = gatewayDoors(this.#options);
      const chosen: number[] = [];
      for (let i = 0; i < protocols.length; i++) chosen.push(ports[i] ?? (await freePort()));
      const sendTimes = Object.values(deployments)
        .map((x) => x.timeoutSend)
        .filter((t): t is number => t !== undefined);
      const role: GatewayRole = {
        kind: 'gateway',
        runtimeName: 'gateway',
        port: chosen[0]!,
        protocols,
        ports: chosen,
        host: this.#options.host,
        graph: graphDescription(this.#deployments),
        addresses,
        conditions,
        noReduce: this.#deployments.filter((d) => d.noReduce).map((d) => d.name),
        deployments,
        timeoutSend: sendTimes.length ? Math.max(...sendTimes) : undefined,
        prefetch: this.#options.prefetch,
        cors: this.#options.cors,
        tls: this.#options.tls,
        monitoring: this.#options.monitoring,
        internalTls: this.#options.internalTls,
        auth: this.#options.auth ? { publicHealth: this.#options.auth.publicHealth } : undefined,
        limits: this.#options.limits,
      };
      this.#gateway = new RuntimeProcess('gateway', role, { ...ctx.process, secrets });
      // Every port is chosen up front and connections are made on first use, so the gateway starts
      // together with the executors. Heads start once their shards serve: a head asked for its
      // endpoints before that would answer with none, and the gateway would skip the deployment.
      // start() resolves when all are ready and fails on the first failure.
      const gateway = this.#gateway.start(timeoutReady);
      gateway.catch(() => {});
      await Promise.all(this.#workers.map(ready));
      await Promise.all([...this.#heads.map(ready), gateway]);
      const host = this.#options.host && this.#options.host !== '0.0.0.0' ? this.#options.host : '127.0.0.1';
      this.#doors = protocols.map((protocol, i) => ({
        protocol,
        port: chosen[i]!,
        url: `${SCHEME[protocol][this.#options.tls ? 1 : 0]}://${host}:${chosen[i]}`,
      }));
      this.#state = 'started';
      return this;
    } catch (err) {
      await this.#stopAll(1000);
      this.#state = 'closed';
      throw err;
    }
  }

  /** The runtimes with pid, port and state. */
  describe(): RuntimeInfo[] {
    const all = [...(this.#gateway ? [this.#gateway] : []), ...this.#heads, ...this.#workers];
    return all.map((r) => ({
      name: r.name,
      kind: r.role.kind,
      pid: r.pid,
      port: r.port,
      state: r.state,
      alive: r.alive,
      restarts: r.restarts,
    }));
  }

  async #stopAll(graceMs: number): Promise<void> {
    // The gateway first: it drains in-flight requests and waits for floating work.
    await this.#gateway?.stop(graceMs);
    await Promise.all(this.#heads.map((r) => r.stop(graceMs)));
    await Promise.all(this.#workers.map((r) => r.stop(graceMs)));
  }

  /** Drains the gateway, waits for floating work, then stops every runtime (SIGTERM, SIGKILL after `gracePeriod`). */
  async close(): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'new') {
      this.#state = 'closed';
      return;
    }
    this.#state = 'closing';
    await this.#stopAll(this.#options.gracePeriod ?? 10_000);
    this.#state = 'closed';
  }

  /** Serves until SIGINT, SIGTERM or `signal` aborts, then closes. */
  async block(signal?: AbortSignal): Promise<void> {
    await waitForStop(signal);
    await this.close();
  }

  /** Closes the Flow (`await using f = await new Flow().add(…).start()`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** @internal The gateway's tokens: `auth.tokens` and those of `auth.tokensFile`. */
export function flowTokens(auth: FlowAuth | undefined): string[] | undefined {
  if (!auth) return undefined;
  return [
    ...(auth.tokens ?? []),
    ...(auth.tokensFile ? readTokensFile(auth.tokensFile, 'Flow: auth.tokensFile') : []),
  ];
}

function deploymentOf(r: RuntimeProcess): string | undefined {
  return r.role.kind === 'gateway' ? undefined : r.role.deployment;
}

/** Resolves on SIGINT, SIGTERM or when `signal` aborts. */
export function waitForStop(signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    if (signal?.aborted) return resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    signal?.addEventListener('abort', done);
  });
}
