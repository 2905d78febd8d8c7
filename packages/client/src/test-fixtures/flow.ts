import { Document, type DocumentArray } from '@weft/docarray';
import { Executor, type RequestContext, requests, serveExecutor } from '@weft/executor-runtime';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { startGateway } from '@weft/gateway';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Gateways log at 'warn' in these tests unless told otherwise.
process.env.WEFT_LOG_LEVEL ??= 'warn';

/** Upper-cases texts; `/fail` throws; `/slow` waits `tags.delay` ms of the first doc; `/params` echoes parameters. */
export class Upper extends Executor {
  @requests()
  up(docs: DocumentArray) {
    for (const d of docs) d.text = d.text.toUpperCase();
  }

  @requests({ on: '/fail' })
  fail(docs: DocumentArray): void {
    if (docs.at(0)?.text === 'ok') return;
    throw new RangeError('no such thing');
  }

  @requests({ on: '/slow' })
  async slow(docs: DocumentArray) {
    const delay = Number(docs.at(0)?.tags.delay ?? 0);
    if (delay) await sleep(delay);
    for (const d of docs) d.tags = { ...d.tags, by: this.runtimeArgs.name };
  }

  @requests({ on: '/params' })
  params(docs: DocumentArray, ctx: RequestContext) {
    for (const d of docs) d.tags = { ...d.tags, params: ctx.parameters };
  }

  @requests({ on: ['/index', '/search', '/update', '/delete'] })
  crud(docs: DocumentArray, ctx: RequestContext) {
    for (const d of docs) d.text = `${ctx.endpoint}:${d.text}`;
  }
}

/** Adds `!` to every text: a second deployment, to see target_executor and routes. */
export class Bang extends Executor {
  @requests()
  bang(docs: DocumentArray) {
    for (const d of docs) d.text += '!';
  }
}

/** A running in-process Flow: a gateway in front of `upper` (n replicas) → `bang`. */
export interface TestFlow {
  /** Port of the first door (gRPC unless `protocols` says otherwise). */
  port: number;
  /** Port of each door. */
  ports: Partial<Record<'grpc' | 'http' | 'websocket', number>>;
  /** Stops the gateway (dropping open streams at once) and starts a new one on the same port after `downMs`. */
  restartGateway(downMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts executors and a gateway in this process. */
export async function startTestFlow(
  options: {
    replicas?: number;
    port?: number;
    protocols?: ('grpc' | 'http' | 'websocket')[];
    tls?: { certFile: string; keyFile: string };
    cors?: boolean;
  } = {},
): Promise<TestFlow> {
  const replicas = options.replicas ?? 1;
  const closers: { close(): unknown }[] = [];
  const ups = [];
  for (let i = 0; i < replicas; i++) {
    const w = await serveExecutor({ uses: Upper, name: 'upper', runtimeName: `upper/rep-${i}` });
    closers.push(w);
    ups.push(`127.0.0.1:${w.port}`);
  }
  const b = await serveExecutor({ uses: Bang, name: 'bang' });
  closers.push(b);
  const gatewayOptions = {
    graph: { 'start-gateway': ['upper'], upper: ['bang'], bang: ['end-gateway'] },
    addresses: { upper: ups, bang: [`127.0.0.1:${b.port}`] },
    protocol: options.protocols ?? ['grpc'],
    tls: options.tls,
    cors: options.cors,
  };
  let g = await startGateway({ ...gatewayOptions, port: options.port });
  const port = g.port;
  return {
    port,
    ports: g.ports,
    async restartGateway(downMs: number) {
      await g.close(0);
      await sleep(downMs);
      g = await startGateway({ ...gatewayOptions, port: options.protocols ? Object.values(g.ports) : port });
    },
    async close() {
      await g.close();
      for (const c of closers) await c.close();
    },
  };
}

/** Passes documents through unchanged (no bound methods). */
export class Noop extends Executor {}

/** A gateway in front of one no-op executor, in this process. */
export async function startNoopFlow(): Promise<{ port: number; close(): Promise<void> }> {
  const w = await serveExecutor({ uses: Noop, name: 'noop' });
  const g = await startGateway({
    graph: { 'start-gateway': ['noop'], noop: ['end-gateway'] },
    addresses: { noop: [`127.0.0.1:${w.port}`] },
  });
  return {
    port: g.port,
    async close() {
      await g.close();
      await w.close();
    },
  };
}

/** Streams `tags.n` documents back for `/stream` (a streaming endpoint). */
export class Streamer extends Executor {
  @requests({ on: '/stream' })
  async *stream(doc: Document) {
    const n = Number(doc.tags.n ?? 1);
    for (let i = 0; i < n; i++) yield new Document({ text: `${doc.text}-${i}` });
  }
}

/** A gateway (all three doors) in front of one Streamer. */
export async function startStreamFlow(): Promise<{ ports: TestFlow['ports']; close(): Promise<void> }> {
  const w = await serveExecutor({ uses: Streamer, name: 'streamer' });
  const g = await startGateway({
    graph: { 'start-gateway': ['streamer'], streamer: ['end-gateway'] },
    addresses: { streamer: [`127.0.0.1:${w.port}`] },
    protocol: ['grpc', 'http', 'websocket'],
  });
  return {
    ports: g.ports,
    async close() {
      await g.close();
      await w.close();
    },
  };
}

/** A gateway (all three doors) whose only deployment, `ghost`, listens nowhere. */
export async function startDeadFlow(): Promise<{ ports: TestFlow['ports']; close(): Promise<void> }> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const g = await startGateway({
    graph: { 'start-gateway': ['ghost'], ghost: ['end-gateway'] },
    addresses: { ghost: [`127.0.0.1:${port}`] },
    protocol: ['grpc', 'http', 'websocket'],
  });
  return { ports: g.ports, close: () => g.close() };
}
