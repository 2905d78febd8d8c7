import type { DocumentArray } from '@weft/docarray';
import { Executor, type RequestContext, requests, serveExecutor } from '@weft/executor-runtime';
import { startGateway } from '@weft/gateway';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  port: number;
  /** Stops the gateway (dropping open streams at once) and starts a new one on the same port after `downMs`. */
  restartGateway(downMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts executors and a gateway in this process. */
export async function startTestFlow(options: { replicas?: number; port?: number } = {}): Promise<TestFlow> {
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
  };
  let g = await startGateway({ ...gatewayOptions, port: options.port });
  const port = g.port;
  return {
    port,
    async restartGateway(downMs: number) {
      await g.close(0);
      await sleep(downMs);
      g = await startGateway({ ...gatewayOptions, port });
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
