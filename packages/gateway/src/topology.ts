import type { JsonObject } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { context, propagation, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  endRoute,
  isErrorResponse,
  RESULTS_KEY,
  requestDocs,
  requestEndpoint,
  setRequestDocs,
  startRoute,
} from '@weft/core';
import { compileFilter, Document, type FilterQuery } from '@weft/docarray';
import type { DataRequestProto, DocumentProto } from '@weft/proto';
import { END, type GraphDescription, type GraphNode, START, parseGraph } from './graph.js';
import { type CallObserver, DeploymentPool, type PoolOptions } from './pool.js';
import { reduceRequests } from './reduce.js';
import { Admission, DEFAULT_LIMITS } from './limits.js';

/** Per-deployment options of the gateway's connection towards it. */
export interface DeploymentOptions {
  /** Deadline of one call, in ms. @default the gateway-wide `timeoutSend`, else none */
  timeoutSend?: number;
  /** Attempts across replicas for UNAVAILABLE failures. @default max(3, replicas) */
  retries?: number;
}

/** Options of a {@link Topology}. */
export interface TopologyOptions {
  /** Jina graph description (`start-gateway` → deployments → `end-gateway`). */
  graph: GraphDescription;
  /** Deployment name → replica addresses (`host:port`). */
  addresses: Record<string, readonly string[]>;
  /** Deployment name → `when` filter query; non-matching documents skip it and the rest of its branch. */
  conditions?: Record<string, JsonObject>;
  /** Deployments that get every part of a join (`process_data`, `docsMatrix` in needs order) instead of a reduced request. */
  noReduce?: readonly string[];
  /** Per-deployment deadline and retries. */
  deployments?: Record<string, DeploymentOptions>;
  /** Pool options applied to every deployment (per-deployment options win). */
  pool?: PoolOptions;
  /** Receives per-call reports (metrics). */
  observer?: CallObserver;
  /** Requests in flight at once; further ones get {@link OverloadedError}. @default 10000 */
  maxInFlight?: number;
}

type Outcome = { ok: true; req: DataRequestProto } | { ok: false; res: DataRequestProto };
type NodeInput =
  | { ok: true; req: DataRequestProto; parts?: DataRequestProto[] }
  | { ok: false; res: DataRequestProto };

const tracer = trace.getTracer('@weft/gateway');

/** Routes requests through the Flow's DAG of deployments. */
export class Topology {
  readonly #admission: Admission;
  readonly #order: GraphNode[];
  readonly #ends: string[];
  readonly #pools = new Map<string, DeploymentPool>();
  readonly #endpoints = new Map<string, Promise<string[] | undefined>>();
  readonly #conditions = new Map<string, (d: Document) => boolean>();
  readonly #noReduce: Set<string>;
  readonly #floating = new Set<Promise<unknown>>();
  /** Nodes the response does not wait for (END is not reachable from them). */
  readonly #detached = new Set<string>();
  readonly #shutdown = new AbortController();

  constructor(options: TopologyOptions) {
    this.#admission = new Admission(options.maxInFlight ?? DEFAULT_LIMITS.maxInFlight);
    this.#order = parseGraph(options.graph);
    this.#ends = Object.entries(options.graph)
      .filter(([, tos]) => tos.includes(END))
      .map(([from]) => from)
      .filter((n) => n !== START);
    this.#noReduce = new Set(options.noReduce ?? []);
    const reachesEnd = new Set<string>();
    for (const n of [...this.#order].reverse())
      if (n.next.some((m) => m === END || reachesEnd.has(m))) reachesEnd.add(n.name);
    for (const n of this.#order) if (!reachesEnd.has(n.name)) this.#detached.add(n.name);
    const observer: CallObserver = {
      ...options.observer,
      onRejoin: (deployment, address) => {
        this.#endpoints.delete(deployment);
        options.observer?.onRejoin?.(deployment, address);
      },
    };
    for (const [name, query] of Object.entries(options.conditions ?? {})) {
      if (!this.#order.some((n) => n.name === name))
        throw new Error(`conditions name deployment '${name}', which is not in the graph`);
      this.#conditions.set(name, compileFilter(query as FilterQuery));
    }
    for (const n of this.#order) {
      const addrs = options.addresses[n.name];
      if (!addrs?.length) {
        this.close();
        throw new Error(
          `deployment '${n.name}' is in the graph but has no address in the deployments addresses`,
        );
      }
      const own = options.deployments?.[n.name] ?? {};
      const poolOptions: PoolOptions = { ...options.pool };
      if (own.timeoutSend !== undefined) poolOptions.timeoutSend = own.timeoutSend;
      if (own.retries !== undefined) poolOptions.retries = own.retries;
      this.#pools.set(n.name, new DeploymentPool(n.name, addrs, poolOptions, observer));
    }
  }

  /** Deployment names in topological order. */
  get deployments(): string[] {
    return this.#order.map((n) => n.name);
  }

  /** The pool of one deployment. */
  pool(name: string): DeploymentPool | undefined {
    return this.#pools.get(name);
  }

  /** Starts endpoint discovery of every deployment (non-blocking). */
  discoverAll(): void {
    for (const n of this.#order) void this.endpointsOf(n.name);
  }

  /** Endpoints the deployment binds (discovered once, again after a replica rejoins), or undefined if unknown. */
  endpointsOf(name: string): Promise<string[] | undefined> {
    let p = this.#endpoints.get(name);
    if (!p) {
      p = this.#pools.get(name)!.discoverEndpoints();
      const q = p;
      p.then((e) => {
        if (!e && this.#endpoints.get(name) === q) this.#endpoints.delete(name);
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

  #filter(name: string, req: DataRequestProto): DataRequestProto {
    const pred = this.#conditions.get(name);
    if (!pred) return req;
    const d = req.data?.documents;
    if (d?.case === undefined) return req;
    if (d.case !== 'docs') {
      // docs_bytes: decode, filter, and send the survivors as docs.
      const docs = requestDocs(req);
      const out: DataRequestProto = { ...req };
      setRequestDocs(
        out,
        docs.filter((doc) => pred(doc)),
      );
      return out;
    }
    const kept: DocumentProto[] = d.value.docs.filter((p) => pred(Document.fromProto(p)));
    if (kept.length === d.value.docs.length) return req;
    return {
      ...req,
      data: { ...req.data!, documents: { case: 'docs', value: { ...d.value, docs: kept } } },
    };
  }

  /** Sends a request through the DAG; resolves with the response (an ERROR response if a deployment failed). */
  process(req: DataRequestProto, signal?: AbortSignal): Promise<DataRequestProto> {
    return this.#admission.run(() => this.#process(req, signal));
  }

  async #process(req: DataRequestProto, signal?: AbortSignal): Promise<DataRequestProto> {
    const target = req.header?.targetExecutor;
    if (target) {
      try {
        new RegExp(`^(?:${target})`).test(''); // as #skips uses it; V8 reports some errors (too large) only when it runs
      } catch (err) {
        throw new ConnectError(
          `target_executor '${target.length > 80 ? `${target.slice(0, 80)}…` : target}' is not a valid regular expression: ${(err as Error).message.slice(-60)}`,
          Code.InvalidArgument,
        );
      }
    }
    req.parameters ??= {};
    const params = req.parameters as JsonObject;
    if (typeof params[RESULTS_KEY] !== 'object' || params[RESULTS_KEY] === null) params[RESULTS_KEY] = {};
    return tracer.startActiveSpan('weft.gateway.request', async (span) => {
      span.setAttribute('weft.endpoint', requestEndpoint(req));
      try {
        const out = await this.#route(req, signal);
        if (isErrorResponse(out))
          span.setStatus({ code: SpanStatusCode.ERROR, message: out.header?.status?.description });
        return out;
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
        throw err;
      } finally {
        span.end();
      }
    });
  }

  async #route(req: DataRequestProto, signal: AbortSignal | undefined): Promise<DataRequestProto> {
    const gatewayRoute = req.routes.length ? undefined : startRoute('gateway');
    if (gatewayRoute) req.routes = [gatewayRoute];
    const outcomes = new Map<string, Promise<Outcome>>();
    const parts = async (needs: readonly string[]) =>
      Promise.all(needs.map((n) => (n === START ? { ok: true as const, req } : outcomes.get(n)!)));
    const gather = async (needs: readonly string[]): Promise<NodeInput> => {
      const ps = await parts(needs);
      const failed = ps.find((p) => !p.ok);
      if (failed) return failed;
      const reqs = ps.map((p) => (p as { req: DataRequestProto }).req);
      return { ok: true, req: reduceRequests(reqs), parts: reqs };
    };
    const ctx = context.active();
    for (const node of this.#order) {
      const run = (async (): Promise<Outcome> => {
        const noReduce = this.#noReduce.has(node.name) && node.needs.length > 1;
        let input: NodeInput;
        if (noReduce) {
          const ps = await parts(node.needs);
          const failed = ps.find((p) => !p.ok);
          if (failed) return failed;
          const reqs = ps.map((p) => this.#filter(node.name, (p as { req: DataRequestProto }).req));
          input = { ok: true, req: reqs[0]!, parts: reqs };
        } else {
          input = await gather(node.needs);
          if (!input.ok) return input;
          input.req = this.#filter(node.name, input.req);
        }
        if (await this.#skips(node.name, input.req)) {
          return { ok: true, req: noReduce ? reduceRequests(input.parts!) : input.req };
        }
        // Floating work outlives the request (and its signal); closing the gateway stops it.
        const sig = this.#detached.has(node.name) ? this.#shutdown.signal : signal;
        return this.#call(node.name, input.req, noReduce ? input.parts : undefined, sig, ctx);
      })();
      // Rejections are surfaced through the final gather; this avoids unhandled-rejection warnings.
      run.catch(() => {});
      outcomes.set(node.name, run);
      if (this.#detached.has(node.name)) {
        this.#floating.add(run);
        run.then(
          () => this.#floating.delete(run),
          () => this.#floating.delete(run),
        );
      }
    }
    const final = this.#ends.length ? await gather(this.#ends) : ({ ok: true, req } as NodeInput);
    const out = final.ok ? final.req : final.res;
    if (gatewayRoute && out.routes[0]?.executor === 'gateway') endRoute(out.routes[0]);
    return out;
  }

  async #call(
    name: string,
    req: DataRequestProto,
    parts: DataRequestProto[] | undefined,
    signal: AbortSignal | undefined,
    parent: ReturnType<typeof context.active>,
  ): Promise<Outcome> {
    const span: Span = tracer.startSpan(
      `weft.deployment ${name}`,
      { attributes: { 'weft.deployment': name } },
      parent,
    );
    const headers: Record<string, string> = {};
    propagation.inject(trace.setSpan(parent, span), headers);
    const route = startRoute(name);
    const routes = [...(parts ? unionRoutes(parts) : req.routes), route];
    try {
      const sent = parts ?? { ...req, routes };
      const res = await this.#pools.get(name)!.send(sent, { signal, headers });
      const failed = isErrorResponse(res);
      endRoute(route, failed ? res.header?.status : undefined);
      res.routes = routes;
      if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: res.header?.status?.description });
      return failed ? { ok: false, res } : { ok: true, req: res };
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
      throw err;
    } finally {
      span.end();
    }
  }

  /** Resolves once every floating deployment call started so far has finished. */
  async drainFloating(): Promise<void> {
    while (this.#floating.size) await Promise.allSettled([...this.#floating]);
  }

  /** Closes every pool. */
  close(): void {
    this.#shutdown.abort(new Error('the gateway is closing'));
    for (const p of this.#pools.values()) p.close();
  }
}

function unionRoutes(parts: readonly DataRequestProto[]): DataRequestProto['routes'] {
  const out = [...parts[0]!.routes];
  for (const p of parts.slice(1))
    for (const r of p.routes) if (!out.some((x) => x.executor === r.executor)) out.push(r);
  return out;
}
