import { ConfigError, callerModule } from '@weft/core';
import { RuntimeProcess } from './runtime-process.js';
import { freePort } from './ports.js';
import { type ExecutorRole, roleState } from './role.js';
import { resolveUses, type Uses } from './uses.js';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Options of one deployment added with {@link Flow.add}. */
export interface DeploymentOptions {
  /** The Executor: a class, or a module specifier `./file.ts#ExportName`. */
  uses: Uses;
  /** Deployment name. @default `executor<i>` */
  name?: string;
  /** Replica processes. @default 1 */
  replicas?: number;
  /** Upstream deployments: a name, `'gateway'`, or a list (a join). @default the previous deployment */
  needs?: string | readonly string[];
  /** Arguments for the executor's constructor (`uses_with`). */
  usesWith?: Record<string, unknown>;
  /** Metas for the executor (`uses_metas`). */
  usesMetas?: Record<string, unknown>;
  /** Deadline of each gateway → deployment call in ms. @default no deadline */
  timeoutSend?: number;
  /** Workspace root folder. */
  workspace?: string;
}

/** Options of a {@link Flow}. */
export interface FlowOptions {
  /** Port of the gateway's gRPC door. @default a free port */
  port?: number;
  /** Protocol of the gateway. @default 'grpc' */
  protocol?: 'grpc';
  /** How long each runtime may take to become ready, in ms. @default 60000 */
  timeoutReady?: number;
  /** Folder that relative `uses` specifiers resolve against. @default the folder of the module creating the Flow */
  baseDir?: string;
}

interface DeploymentEntry extends DeploymentOptions {
  name: string;
  replicas: number;
  needs: readonly string[];
}

/** A running runtime as {@link Flow.describe} reports it. */
export interface RuntimeInfo {
  name: string;
  pid: number | undefined;
  port: number;
  alive: boolean;
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
  readonly #deployments: DeploymentEntry[] = [];
  readonly #creator: string | undefined;
  #runtimes: RuntimeProcess[] = [];
  #gateway: RuntimeProcess | undefined;
  #port: number | undefined;
  #state: 'new' | 'starting' | 'started' | 'closing' | 'closed' = 'new';

  constructor(options: FlowOptions = {}) {
    this.#options = options;
    this.#creator = callerModule(import.meta.url);
    if (
      options.port !== undefined &&
      (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535)
    ) {
      throw new ConfigError(
        `Flow: port ${options.port} is not valid; use 1–65535, or omit it to pick a free port`,
      );
    }
  }

  /** Adds a deployment; chains to the previous one unless `needs` says otherwise. */
  add(options: DeploymentOptions): this {
    if (this.#state !== 'new')
      throw new ConfigError('Flow.add: the Flow has already started; add deployments before start()');
    const name = options.name ?? `executor${this.#deployments.length}`;
    if (name === 'gateway' || this.#deployments.some((d) => d.name === name)) {
      throw new ConfigError(
        `Flow.add: deployment name '${name}' is already taken; names must be unique and not 'gateway'`,
      );
    }
    const replicas = options.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 1) {
      throw new ConfigError(`Flow.add('${name}'): replicas must be a whole number ≥ 1, got ${replicas}`);
    }
    const prev = this.#deployments.at(-1)?.name ?? 'gateway';
    const needs =
      options.needs === undefined
        ? [prev]
        : typeof options.needs === 'string'
          ? [options.needs]
          : [...options.needs];
    for (const n of needs) {
      if (n === name) throw new ConfigError(`Flow.add('${name}'): a deployment cannot need itself`);
      if (n !== 'gateway' && !this.#deployments.some((d) => d.name === n)) {
        throw new ConfigError(`Flow.add('${name}'): needs '${n}', which is not a deployment added before it`);
      }
    }
    this.#deployments.push({ ...options, name, replicas, needs });
    return this;
  }

  /** The gateway's port (known once started, or when given). */
  get port(): number | undefined {
    return this.#port ?? this.#options.port;
  }

  /** The deployments' names in order. */
  get deploymentNames(): string[] {
    return this.#deployments.map((d) => d.name);
  }

  /** Jina's graph description of this Flow. */
  graphDescription(): Record<string, string[]> {
    const graph: Record<string, string[]> = { 'start-gateway': [] };
    const needed = new Set<string>();
    for (const d of this.#deployments) {
      graph[d.name] ??= [];
      for (const n of d.needs) {
        needed.add(n);
        const from = n === 'gateway' ? 'start-gateway' : n;
        graph[from]!.push(d.name);
      }
    }
    for (const d of this.#deployments) if (!needed.has(d.name)) graph[d.name]!.push('end-gateway');
    return graph;
  }

  /** Starts every replica and the gateway; resolves when all are ready. */
  async start(): Promise<this> {
    const role = roleState();
    if (role) return this.#serveRole();
    if (this.#state !== 'new')
      throw new ConfigError(`Flow.start: the Flow is ${this.#state}; create a new Flow to start again`);
    this.#state = 'starting';
    const timeoutReady = this.#options.timeoutReady ?? 60_000;
    const baseDir =
      this.#options.baseDir ??
      (this.#creator?.startsWith('file:') ? dirname(fileURLToPath(this.#creator)) : process.cwd());
    try {
      const addresses: Record<string, string[]> = {};
      for (const d of this.#deployments) {
        const spec = resolveUses(d.uses, baseDir, this.#creator);
        addresses[d.name] = [];
        for (let r = 0; r < d.replicas; r++) {
          const port = await freePort();
          const role: ExecutorRole = {
            kind: 'executor',
            deployment: d.name,
            runtimeName: `${d.name}/rep-${r}`,
            replica: r,
            replicas: d.replicas,
            port,
            module: spec.module,
            exportName: spec.exportName,
            usesWith: d.usesWith,
            usesMetas: d.usesMetas,
            workspace: d.workspace,
          };
          this.#runtimes.push(new RuntimeProcess(role.runtimeName, role));
          addresses[d.name]!.push(`127.0.0.1:${port}`);
        }
      }
      await Promise.all(this.#runtimes.map((r) => r.start(timeoutReady)));
      const port = this.#options.port ?? (await freePort());
      const timeouts = this.#deployments
        .map((d) => d.timeoutSend)
        .filter((t): t is number => t !== undefined);
      this.#gateway = new RuntimeProcess('gateway', {
        kind: 'gateway',
        port,
        graph: this.graphDescription(),
        addresses,
        timeoutSend: timeouts.length ? Math.max(...timeouts) : undefined,
      });
      await this.#gateway.start(timeoutReady);
      this.#port = port;
      this.#state = 'started';
      return this;
    } catch (err) {
      await this.#stopAll();
      this.#state = 'closed';
      throw err;
    }
  }

  /** In a child runtime re-running the user's module: serve this process's deployment, never resolve. */
  async #serveRole(): Promise<never> {
    const state = roleState()!;
    const role = state.role;
    if (role.kind !== 'executor' || state.claimed) return new Promise<never>(() => {});
    const d = this.#deployments.find((x) => x.name === role.deployment);
    if (!d) return new Promise<never>(() => {});
    if (typeof d.uses === 'string') {
      const { module, exportName } = resolveUses(d.uses, process.cwd(), undefined);
      const mod = (await import(module)) as Record<string, Function>;
      await state.serve!(mod[exportName]!);
    } else {
      await state.serve!(d.uses);
    }
    return new Promise<never>(() => {});
  }

  /** The running runtimes with pid, port and state. */
  describe(): RuntimeInfo[] {
    const all = this.#gateway ? [this.#gateway, ...this.#runtimes] : [...this.#runtimes];
    return all.map((r) => ({ name: r.name, pid: r.pid, port: r.port, alive: r.alive }));
  }

  async #stopAll(): Promise<void> {
    await this.#gateway?.stop();
    await Promise.all(this.#runtimes.map((r) => r.stop()));
  }

  /** Drains the gateway, then stops every runtime (SIGTERM, SIGKILL after a grace period). */
  async close(): Promise<void> {
    if (this.#state === 'closed' || this.#state === 'new') {
      this.#state = 'closed';
      return;
    }
    this.#state = 'closing';
    await this.#stopAll();
    this.#state = 'closed';
  }

  /** Serves until SIGINT or SIGTERM, then closes. */
  async block(signal?: AbortSignal): Promise<void> {
    await new Promise<void>((resolve) => {
      const done = () => {
        process.off('SIGINT', done);
        process.off('SIGTERM', done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
      signal?.addEventListener('abort', done);
    });
    await this.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
