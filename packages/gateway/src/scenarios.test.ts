import { Code } from '@connectrpc/connect';
import { Document, DocumentArray } from '@weft/docarray';
import { type Executor, serveExecutor, type Worker } from '@weft/executor-runtime';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayOptions, startGateway, startHead } from './index.js';
import {
  appender,
  Branch1,
  Branch2,
  CountParts,
  type DoorClient,
  DoorFailure,
  type DoorName,
  doorClient,
  Failing,
  floatingSeen,
  Matrix,
  OnlyIndex,
  ParamEcho,
  Recorder,
  Shard,
  Slow,
  selfSignedCert,
} from './test-fixtures/harness.js';

const silent = pino({ level: 'silent' });
const workers = new Map<string, Worker>();
const addr = (name: string) => [`127.0.0.1:${workers.get(name)!.port}`];
let cert: ReturnType<typeof selfSignedCert>;
const heads: { close(): Promise<void> }[] = [];
const headPorts = new Map<string, number>();

async function serve(name: string, cls: new () => Executor, shardId = 0) {
  workers.set(
    name,
    await serveExecutor({
      uses: cls,
      name: name.split('#')[0],
      runtimeName: `${name}/rep-0`,
      runtimeArgs: { shardId },
    }),
  );
}

beforeAll(async () => {
  cert = selfSignedCert();
  await serve('a', appender('A'));
  await serve('b', appender('B'));
  await serve('j', appender('J'));
  await serve('p', appender('P'));
  await serve('q', appender('Q'));
  await serve('idx', OnlyIndex);
  await serve('f', Failing);
  await serve('slow', Slow);
  await serve('b1', Branch1);
  await serve('b2', Branch2);
  await serve('m', Matrix);
  await serve('pe1', ParamEcho);
  await serve('pe2', ParamEcho);
  await serve('s0', Shard, 0);
  await serve('s1', Shard, 1);
  await serve('after', CountParts);
  await serve('fl', Recorder);
  const shards = [addr('s0'), addr('s1')];
  for (const [name, extra] of [
    ['all', { polling: 'ALL' as const }],
    ['any', { polling: 'ANY' as const }],
    ['perEndpoint', { polling: { '/search': 'ALL' as const, '*': 'ANY' as const } }],
    ['withAfter', { polling: 'ALL' as const, usesAfter: addr('after') }],
  ] as const) {
    const h = await startHead({ name, shards, ...extra });
    heads.push(h);
    headPorts.set(name, h.port);
  }
}, 60_000);

afterAll(async () => {
  for (const h of heads) await h.close();
  for (const w of workers.values()) await w.close(1000);
  cert?.cleanup();
});

const opened: DoorClient[] = [];
const gateways: { close(g?: number): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of opened.splice(0)) await c.close();
  for (const g of gateways.splice(0)) await g.close(2000);
});

const chain = (...names: string[]) => {
  const g: Record<string, string[]> = { 'start-gateway': [names[0]!] };
  names.forEach((n, i) => {
    g[n] = [names[i + 1] ?? 'end-gateway'];
  });
  return g;
};

const texts = (da: DocumentArray) => da.texts;

describe.each([
  ['grpc', false],
  ['http', false],
  ['websocket', false],
  ['grpc', true],
  ['http', true],
  ['websocket', true],
] as [DoorName, boolean][])('through the %s door (tls: %s)', (door, tls) => {
  async function flow(
    graph: GatewayOptions['graph'],
    addresses: Record<string, string[]>,
    extra: Partial<GatewayOptions> = {},
  ): Promise<DoorClient> {
    const g = await startGateway({
      graph,
      addresses,
      protocol: door,
      logger: silent,
      ...(tls ? { tls: { certFile: cert.certFile, keyFile: cert.keyFile } } : {}),
      ...extra,
    });
    gateways.push(g);
    const c = doorClient(door, g.port, tls);
    opened.push(c);
    return c;
  }

  it('routes a chain in order and fills routes', async () => {
    const c = await flow(chain('a', 'b'), { a: addr('a'), b: addr('b') });
    const docs = DocumentArray.empty(2);
    const res = await c.send({ docs });
    expect(texts(res.docs)).toEqual(['AB', 'AB']);
    expect(res.docs.ids).toEqual(docs.ids);
    expect(res.routes.map((r) => r.executor)).toEqual(['gateway', 'a', 'b']);
  });

  it('joins a fan-out with reduce: merged fields, first part first', async () => {
    const c = await flow(
      { 'start-gateway': ['b1', 'b2'], b1: ['j'], b2: ['j'], j: ['end-gateway'] },
      { b1: addr('b1'), b2: addr('b2'), j: addr('j') },
    );
    const docs = DocumentArray.empty(2);
    const res = await c.send({ docs });
    expect(res.docs.ids).toEqual([...docs.ids, 'b1-new', 'b2-new']);
    for (const d of res.docs.toArray().slice(0, 2)) {
      expect(d.tags.b1).toBe(true);
      expect(d.embedding?.toList()).toEqual([1, 2]);
      expect(d.text).toBe('J');
    }
    expect(res.routes.map((r) => r.executor).sort()).toEqual(['b1', 'b2', 'gateway', 'j']);
  });

  it('hands a noReduce join every part in needs order (docsMatrix)', async () => {
    const c = await flow(
      { 'start-gateway': ['q', 'p'], p: ['m'], q: ['m'], m: ['end-gateway'] },
      { p: addr('p'), q: addr('q'), m: addr('m') },
      // needs order of m is [p, q]: the graph lists p's edge first
      { noReduce: ['m'] },
    );
    const res = await c.send({ docs: DocumentArray.empty(2) });
    expect(texts(res.docs)).toEqual(['0:P', '0:P', '1:Q', '1:Q']);
  });

  it('applies conditions on parallel branches independently and keeps input order per branch', async () => {
    const c = await flow(
      { 'start-gateway': ['a', 'b'], a: ['j'], b: ['j'], j: ['end-gateway'] },
      { a: addr('a'), b: addr('b'), j: addr('j') },
      { conditions: { a: { tags__kind: { $eq: 'x' } }, b: { tags__kind: { $eq: 'y' } } } },
    );
    const docs = new DocumentArray(['x', 'y', 'x'].map((kind) => new Document({ tags: { kind } })));
    const res = await c.send({ docs });
    expect(res.docs.ids).toEqual([docs.ids[0], docs.ids[2], docs.ids[1]]);
    expect(texts(res.docs)).toEqual(['AJ', 'AJ', 'BJ']);
  });

  it('drops documents that fail a condition for the rest of a sequential branch', async () => {
    const c = await flow(
      chain('a', 'b'),
      { a: addr('a'), b: addr('b') },
      { conditions: { b: { tags__n: { $gte: 2 } } } },
    );
    const docs = new DocumentArray([1, 2, 3].map((n) => new Document({ tags: { n } })));
    const res = await c.send({ docs });
    expect(res.docs.ids).toEqual(docs.ids.slice(1));
    expect(texts(res.docs)).toEqual(['AB', 'AB']);
  });

  it('skips a deployment that does not bind the endpoint, and one not matching targetExecutor', async () => {
    const c = await flow(chain('a', 'idx', 'b'), { a: addr('a'), idx: addr('idx'), b: addr('b') });
    expect(texts((await c.send({ endpoint: '/search', docs: DocumentArray.empty(1) })).docs)).toEqual(['AB']);
    expect(texts((await c.send({ endpoint: '/index', docs: DocumentArray.empty(1) })).docs)).toEqual(['AIB']);
    expect(
      texts((await c.send({ endpoint: '/index', docs: DocumentArray.empty(1), targetExecutor: 'idx' })).docs),
    ).toEqual(['I']);
  });

  it('does not wait for a floating deployment', async () => {
    const c = await flow(
      { 'start-gateway': ['a', 'fl'], a: ['end-gateway'], fl: [] },
      { a: addr('a'), fl: addr('fl') },
    );
    const docs = DocumentArray.empty(1);
    const t0 = performance.now();
    const res = await c.send({ docs });
    expect(performance.now() - t0).toBeLessThan(1200); // the floating deployment takes 1500 ms
    expect(texts(res.docs)).toEqual(['A']);
    expect(res.routes.map((r) => r.executor)).toEqual(['gateway', 'a']);
    await gateways.pop()!.close(5000); // close waits for floating work
    expect(floatingSeen).toContain(docs.ids[0]);
  });

  it('shards: ALL reduces every shard, ANY uses one, per-endpoint polling, usesAfter replaces reduce', async () => {
    const c = await flow(
      {
        'start-gateway': ['all', 'any', 'perEndpoint', 'withAfter'],
        all: [],
        any: [],
        perEndpoint: [],
        withAfter: [],
      },
      {},
      {},
    ).catch(() => undefined);
    expect(c).toBeUndefined(); // addresses are required
    const one = async (name: string, endpoint = '/') => {
      const cl = await flow(chain(name), { [name]: [`127.0.0.1:${headPorts.get(name)}`] });
      return cl.send({ endpoint, docs: DocumentArray.empty(1) });
    };
    const all = await one('all');
    expect(all.docs.ids.slice(1)).toEqual(['shard-0', 'shard-1']);
    expect(all.docs.at(0)!.tags).toEqual({ s0: true }); // first non-empty wins
    const any = await one('any');
    expect(any.docs.length).toBe(2);
    expect(['shard-0', 'shard-1']).toContain(any.docs.at(1)!.id);
    expect((await one('perEndpoint', '/search')).docs.length).toBe(3);
    expect((await one('perEndpoint', '/index')).docs.length).toBe(2);
    const after = await one('withAfter');
    expect(texts(after.docs)).toEqual(['parts=2 docs=4']);
  });

  it('delivers per-executor parameters and merges __results__', async () => {
    const c = await flow(chain('pe1', 'pe2'), { pe1: addr('pe1'), pe2: addr('pe2') });
    const res = await c.send({ parameters: { common: 1, pe1__only: 'x' }, docs: DocumentArray.empty(1) });
    const results = res.parameters.__results__ as Record<string, { seen: Record<string, unknown> }>;
    expect(results['pe1/rep-0']!.seen).toEqual({ common: 1, only: 'x' });
    expect(results['pe2/rep-0']!.seen).toEqual({ common: 1 });
  });

  it('returns an error from the middle of a chain and skips the rest', async () => {
    const c = await flow(chain('a', 'f', 'b'), { a: addr('a'), f: addr('f'), b: addr('b') });
    const res = await c.send({ docs: DocumentArray.empty(1) });
    expect(res.status?.code).toBe(1);
    expect(res.status?.executor).toBe('f');
    expect(res.status?.description).toMatch(/middle failed/);
    expect(res.routes.map((r) => r.executor)).toEqual(['gateway', 'a', 'f']);
    expect(res.routes[2]!.failed).toBe(true);
  });

  it('answers DEADLINE_EXCEEDED (504 / close 1011) when timeoutSend passes', async () => {
    const c = await flow(
      chain('slow'),
      { slow: addr('slow') },
      { deployments: { slow: { timeoutSend: 150 } } },
    );
    const err = await c.send({ docs: DocumentArray.empty(1), parameters: { sleepMs: 600 } }).catch((e) => e);
    expect(err).toBeInstanceOf(DoorFailure);
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(err.message).toMatch(/slow.*timeoutSend=150/);
    if (door === 'http') expect(err.detail.httpStatus).toBe(504);
    if (door === 'websocket') expect(err.detail.wsClose).toBe(1011);
  });

  it('answers UNAVAILABLE (503 / close 1011) naming the deployment and every address tried', async () => {
    const c = await flow(chain('gone'), { gone: ['127.0.0.1:1', '127.0.0.1:2'] });
    const err = await c.send({ docs: DocumentArray.empty(1) }).catch((e) => e);
    expect(err.code).toBe(Code.Unavailable);
    expect(err.message).toMatch(/'gone'.*127\.0\.0\.1:1, 127\.0\.0\.1:2/);
    if (door === 'http') expect(err.detail.httpStatus).toBe(503);
    if (door === 'websocket') expect(err.detail.wsClose).toBe(1011);
  });
});
