import { propagation, type TextMapPropagator } from '@opentelemetry/api';
import { DocumentArray } from '@weft/docarray';
import { Executor, type RequestContext, requests, serveExecutor, type Worker } from '@weft/executor-runtime';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, startHead } from './index.js';
import { appender, doorClient, Shard } from './test-fixtures/harness.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});
async function worker(...args: Parameters<typeof serveExecutor>): Promise<Worker> {
  const w = await serveExecutor(...args);
  closers.push(() => w.close(1000));
  return w;
}
const at = (w: Worker) => [`127.0.0.1:${w.port}`];

describe('head', () => {
  it('runs usesBefore before fan-out, so every shard sees its output', async () => {
    const before = await worker({ uses: appender('B'), name: 'before' });
    const s0 = await worker({ uses: Shard, name: 'sh', runtimeArgs: { shardId: 0 } });
    const s1 = await worker({ uses: Shard, name: 'sh', runtimeArgs: { shardId: 1 } });
    const head = await startHead({
      name: 'sh',
      shards: [at(s0), at(s1)],
      polling: 'ALL',
      usesBefore: at(before),
    });
    closers.push(() => head.close());
    const gw = await startGateway({
      graph: { 'start-gateway': ['sh'], sh: ['end-gateway'] },
      addresses: { sh: [`127.0.0.1:${head.port}`] },
      logger: pino({ level: 'silent' }),
    });
    closers.push(() => gw.close(1000));
    const c = doorClient('grpc', gw.port, false);
    closers.push(() => c.close());
    const res = await c.send({ docs: DocumentArray.empty(1) });
    expect(res.docs.at(0)!.text).toBe('B');
    expect(res.docs.at(0)!.tags).toEqual({ B: 'before/rep-0', s0: true });
    expect(res.docs.ids.slice(1)).toEqual(['shard-0', 'shard-1']);
  });

  it('rejects bad polling and empty shards with a clear error', async () => {
    await expect(startHead({ name: 'x', shards: [] })).rejects.toThrow(/shards is empty/);
    await expect(
      startHead({ name: 'x', shards: [['127.0.0.1:1']], polling: { '/a': 'SOME' as 'ANY' } }),
    ).rejects.toThrow(/polling\['\/a'\]: 'SOME' must be 'ANY' or 'ALL'/);
  });
});

class HeaderEcho extends Executor {
  @requests()
  run(_docs: DocumentArray, ctx: RequestContext) {
    return { trace: ctx.headers['x-weft-trace'] ?? null };
  }
}

describe('tracing', () => {
  it('injects the trace context into the gRPC metadata of every deployment call', async () => {
    const propagator: TextMapPropagator = {
      inject: (_ctx, carrier, setter) => setter.set(carrier, 'x-weft-trace', 'propagated'),
      extract: (ctx) => ctx,
      fields: () => ['x-weft-trace'],
    };
    propagation.setGlobalPropagator(propagator);
    closers.push(() => propagation.disable());
    const w = await worker({ uses: HeaderEcho, name: 'h' });
    const gw = await startGateway({
      graph: { 'start-gateway': ['h'], h: ['end-gateway'] },
      addresses: { h: at(w) },
      logger: pino({ level: 'silent' }),
    });
    closers.push(() => gw.close(1000));
    const c = doorClient('grpc', gw.port, false);
    closers.push(() => c.close());
    const res = await c.send({ docs: DocumentArray.empty(1) });
    expect((res.parameters.__results__ as any)['h/rep-0']).toEqual({ trace: 'propagated' });
  });
});
