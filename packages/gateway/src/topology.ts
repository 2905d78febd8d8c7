import { Code, ConnectError } from '@connectrpc/connect';
import { endRoute, isErrorResponse, requestEndpoint, startRoute } from '@weft/core';
import type { DataRequestProto } from '@weft/proto';
import { END, type GraphDescription, type GraphNode, START, parseGraph } from './graph.js';
import { DeploymentPool, type PoolOptions } from './pool.js';
import { reduceRequests } from './reduce.js';

/** Options of a {@link Topology}. */
export interface TopologyOptions {
  /** Jina graph description (`start-gateway` → deployments → `end-gateway`). */
  graph: GraphDescription;
  /** Deployment name → replica addresses (`host:port`). */
  addresses: Record<string, readonly string[]>;
  /** Pool options for every deployment (deadline, retries, TLS). */
  pool?: PoolOptions;
}

type Outcome = { ok: true; req: DataRequestProto } | { ok: false; res: DataRequestProto };

/** Routes requests through the Flow's DAG of deployments. */
export class Topology {
  readonly #order: GraphNode[];
  readonly #ends: string[];
  readonly #pools = new Map<string, DeploymentPool>();
  readonly #endpoints = new Map<string, Promise<string[] | undefined>>();

  constructor(options: TopologyOptions) {
    this.#order = parseGraph(options.graph);
    this.#ends = Object.entries(options.graph)
      .filter(([, tos]) => tos.includes(END))
      .map(([from]) => from);
    for (const n of this.#order) {
      const addrs = options.addresses[n.name];
      if (!addrs?.length) {
        throw new Error(
          `deployment '${n.name}' is in the graph but has no address in the deployments addresses`,
        );
      }
      this.#pools.set(n.name, new DeploymentPool(n.name, addrs, options.pool));
    }
  }

  /** Deployment names in topological order. */
  get deployments(): string[] {
    return this.#order.map((n) => n.name);
  }

  /** Endpoints the deployment binds (discovered once), or undefined if unknown. */
  endpointsOf(name: string): Promise<string[] | undefined> {
    let p = this.#endpoints.get(name);
    if (!p) {
      p = this.#pools.get(name)!.discoverEndpoints();
      p.then((e) => {
        if (!e) this.#endpoints.delete(name);
      });
      this.#endpoints.set(name, p);
    }
    return p;
  }

  async #skips(name: string, req: DataRequestProto): Promise<boolean> {
    const target = req.header?.targetExecutor;
    if (target && !new RegExp(`^(?:${target})`).test(name)) return true;
    const endpoints = await this.endpointsOf(name);
    if (!endpoints) return false;
    const endpoint = requestEndpoint(req);
    return !endpoints.includes(endpoint) && !endpoints.includes('/default');
  }

  /** Sends a request through the DAG; resolves with the response (an ERROR response if a deployment failed). */
  async process(req: DataRequestProto, signal?: AbortSignal): Promise<DataRequestProto> {
    const target = req.header?.targetExecutor;
    if (target) {
      try {
        new RegExp(target);
      } catch {
        throw new ConnectError(
          `target_executor '${target}' is not a valid regular expression`,
          Code.InvalidArgument,
        );
      }
    }
    const gatewayRoute = req.routes.length ? undefined : startRoute('gateway');
    if (gatewayRoute) req.routes = [gatewayRoute];
    const outcomes = new Map<string, Promise<Outcome>>();
    const gather = async (needs: readonly string[]): Promise<Outcome> => {
      const parts = await Promise.all(
        needs.map((n) => (n === START ? { ok: true as const, req } : outcomes.get(n)!)),
      );
      const failed = parts.find((p) => !p.ok);
      if (failed) return failed;
      return { ok: true, req: reduceRequests(parts.map((p) => (p as { req: DataRequestProto }).req)) };
    };
    for (const node of this.#order) {
      outcomes.set(
        node.name,
        (async (): Promise<Outcome> => {
          const input = await gather(node.needs);
          if (!input.ok) return input;
          if (await this.#skips(node.name, input.req)) return input;
          const route = startRoute(node.name);
          const sent: DataRequestProto = { ...input.req, routes: [...input.req.routes, route] };
          const res = await this.#pools.get(node.name)!.send(sent, signal);
          const failed = isErrorResponse(res);
          endRoute(route, failed ? res.header?.status : undefined);
          res.routes = [...input.req.routes, route];
          return failed ? { ok: false, res } : { ok: true, req: res };
        })(),
      );
      // Unhandled rejections are surfaced through the end gather; avoid process-level warnings.
      outcomes.get(node.name)!.catch(() => {});
    }
    const final = await gather(this.#ends.length ? this.#ends : [START]);
    const out = final.ok ? final.req : final.res;
    if (gatewayRoute && out.routes[0]?.executor === 'gateway') endRoute(out.routes[0]);
    return out;
  }

  close(): void {
    for (const p of this.#pools.values()) p.close();
  }
}
