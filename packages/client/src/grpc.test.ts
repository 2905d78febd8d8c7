import { Document, DocumentArray } from '@weft/docarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, ClientConfigError, ClientResponse, Code, ExecutorError, TransportError } from './index.js';
import { startTestFlow, type TestFlow } from './test-fixtures/flow.js';
import { startRawGateway } from './test-fixtures/raw-server.js';

let flow: TestFlow;
let flow2: TestFlow;
const clients: Client[] = [];
const client = (o: ConstructorParameters<typeof Client>[0] = { port: flow.port }) => {
  const c = new Client(o);
  clients.push(c);
  return c;
};

beforeAll(async () => {
  flow = await startTestFlow();
  flow2 = await startTestFlow({ replicas: 2 });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await flow?.close();
  await flow2?.close();
});

const texts = (n: number, prefix = 'd') => Array.from({ length: n }, (_, i) => ({ text: `${prefix}${i}` }));

describe('Client over gRPC: post', () => {
  it('returns the docs of every request, through every deployment', async () => {
    const r = await client().post('/', texts(250), { requestSize: 100, resultsInOrder: true });
    expect(r.texts).toEqual(texts(250).map((d) => `${d.text.toUpperCase()}!`));
  });

  it('100 docs with requestSize 10 give 10 onDone calls of 10 docs, and post collects nothing', async () => {
    const sizes: number[] = [];
    const r = await client().post('/', texts(100), {
      requestSize: 10,
      onDone: (res) => void sizes.push(res.docs.length),
    });
    expect(sizes).toEqual(Array(10).fill(10));
    expect(r.length).toBe(0);
  });

  it('runs callbacks in the order done, always / error, always and goes on after onError', async () => {
    const calls: string[] = [];
    const inputs = [{ text: 'ok' }, { text: 'bad' }, { text: 'ok' }];
    await client().post('/fail', inputs, {
      requestSize: 1,
      prefetch: 1,
      onDone: (r) => void calls.push(`done:${r.docs.at(0)?.text}`),
      onError: (r, e) => void calls.push(`error:${e.executor}:${r.isError}`),
      onAlways: (r) => void calls.push(`always:${r.isError}`),
    });
    expect(calls).toEqual([
      'done:ok!',
      'always:false',
      'error:upper:true',
      'always:true',
      'done:ok!',
      'always:false',
    ]);
  });

  it('rejects with ExecutorError carrying the response, executor and remote stack', async () => {
    const err = await client()
      .post('/fail', DocumentArray.empty(1))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecutorError);
    const e = err as ExecutorError;
    expect(e.executor).toBe('upper');
    expect(e.remoteName).toBe('RangeError');
    expect(e.message).toMatch(/executor 'upper' failed .*no such thing/);
    expect(e.remoteStack.join('')).toMatch(/RangeError: no such thing/);
    expect(e.response.header?.requestId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('continueOnError skips ERROR responses without rejecting', async () => {
    const r = await client().post('/fail', [{ text: 'ok' }, { text: 'x' }, { text: 'ok' }], {
      requestSize: 1,
      continueOnError: true,
      resultsInOrder: true,
    });
    expect(r.texts).toEqual(['ok!', 'ok!']);
  });

  it('resultsInOrder restores input order when replicas answer out of order', async () => {
    const inputs = () => [
      new Document({ text: 'a', tags: { delay: 400 } }),
      new Document({ text: 'b' }),
      new Document({ text: 'c' }),
      new Document({ text: 'd' }),
    ];
    const c = client({ port: flow2.port });
    const arrival = await c.post('/slow', inputs(), { requestSize: 1 });
    expect(arrival.texts[0]).not.toBe('a');
    expect(new Set(arrival.map((d) => d.tags.by))).toEqual(new Set(['upper/rep-0', 'upper/rep-1']));
    const ordered = await c.post('/slow', inputs(), { requestSize: 1, resultsInOrder: true });
    expect(ordered.texts).toEqual(['a!', 'b!', 'c!', 'd!']);
  });

  it('returnResponses gives the responses with ids, routes and parameters', async () => {
    const rs = await client().post('/', texts(5), {
      requestSize: 2,
      returnResponses: true,
      resultsInOrder: true,
    });
    expect(rs).toHaveLength(3);
    expect(rs[0]).toBeInstanceOf(ClientResponse);
    expect(rs.map((r) => r.docs.length)).toEqual([2, 2, 1]);
    expect(new Set(rs.map((r) => r.requestId)).size).toBe(3);
    expect(rs[0]!.routes.map((r) => r.executor)).toEqual(['gateway', 'upper', 'bang']);
    expect(rs[0]!.parameters).toHaveProperty('__results__');
    expect(rs[0]!.endpoint).toBe('/');
  });

  it('passes parameters and targetExecutor', async () => {
    const r = await client().post('/params', [{ text: 'p' }], { parameters: { k: 5, upper__only: 'me' } });
    expect(r.at(0)?.tags.params).toMatchObject({ k: 5, only: 'me' });
    expect(r.at(0)?.text).toBe('p!');
    const t = await client().post('/', [{ text: 'x' }], { targetExecutor: 'upper' });
    expect(t.texts).toEqual(['X']);
  });

  it('accepts a Document, an async generator, a generator function, and nothing', async () => {
    const c = client();
    expect((await c.post('/', new Document({ text: 'one' }))).texts).toEqual(['ONE!']);
    async function* gen() {
      for (let i = 0; i < 5; i++) yield { text: `g${i}` };
    }
    expect((await c.post('/', gen(), { requestSize: 2, resultsInOrder: true })).texts).toEqual([
      'G0!',
      'G1!',
      'G2!',
      'G3!',
      'G4!',
    ]);
    function* fn() {
      yield { text: 'f' };
    }
    expect((await c.post('/', fn)).texts).toEqual(['F!']);
    const none = await c.post('/params', undefined, { parameters: { a: 1 }, returnResponses: true });
    expect(none).toHaveLength(1);
    expect(none[0]!.docs.length).toBe(0);
  });

  it('sends unary process_single_data requests with stream: false', async () => {
    const r = await client().post('/', texts(30), { requestSize: 7, stream: false, resultsInOrder: true });
    expect(r.texts).toEqual(texts(30).map((d) => `${d.text.toUpperCase()}!`));
  });

  it('index/search/update/delete call their endpoints', async () => {
    const c = client();
    expect((await c.index([{ text: 'i' }])).texts).toEqual(['/index:i!']);
    expect((await c.search([{ text: 's' }])).texts).toEqual(['/search:s!']);
    expect((await c.update([{ text: 'u' }])).texts).toEqual(['/update:u!']);
    expect((await c.delete([{ text: 'x' }])).texts).toEqual(['/delete:x!']);
  });
});

describe('Client over gRPC: deadlines, aborts, streaming', () => {
  it('timeoutMs rejects with DEADLINE_EXCEEDED', async () => {
    // flow2: the abandoned slow requests keep its replicas busy, not those of the other tests
    const err = await client({ port: flow2.port })
      .post('/slow', [{ text: 't', tags: { delay: 1000 } }], { timeoutMs: 150 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe(Code.DeadlineExceeded);
    expect((err as Error).message).toMatch(/did not finish within 150 ms/);
  });

  it('an aborted signal rejects with CANCELED', async () => {
    const ac = new AbortController();
    const p = client({ port: flow2.port }).post('/slow', [{ text: 't', tags: { delay: 1000 } }], {
      signal: ac.signal,
    });
    setTimeout(() => ac.abort(new Error('user gave up')), 100);
    const err = await p.catch((e: unknown) => e);
    expect((err as TransportError).code).toBe(Code.Canceled);
    expect((err as Error).message).toMatch(/user gave up/);
  });

  it('close() during a post rejects it with CANCELED, without retrying', async () => {
    const c = new Client({ port: flow2.port });
    const p = c.post('/slow', [{ text: 't', tags: { delay: 300 } }], { maxAttempts: 5 });
    setTimeout(() => c.close(), 50);
    const err = await p.catch((e: unknown) => e);
    expect((err as TransportError).code).toBe(Code.Canceled);
    expect((err as Error).message).toMatch(/the client was closed/);
  });

  it('stream() yields responses as they arrive and a slow consumer slows the sender', async () => {
    let pulled = 0;
    let finished = false;
    async function* gen() {
      try {
        for (let i = 0; i < 10_000; i++) {
          pulled++;
          yield { text: `s${i}` };
        }
      } finally {
        finished = true;
      }
    }
    const it = client().stream('/', gen(), { requestSize: 10, prefetch: 4 })[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value?.docs.length).toBe(10);
    await new Promise((r) => setTimeout(r, 300));
    expect(pulled).toBeGreaterThan(10);
    expect(pulled).toBeLessThanOrEqual(80);
    await it.return?.();
    expect(finished).toBe(true);
  });

  it('validates options with a clear error', async () => {
    const c = client();
    await expect(c.post('/', [], { prefetch: 0 })).rejects.toThrow(ClientConfigError);
    await expect(c.post('/', [], { prefetch: 0 })).rejects.toThrow(/prefetch 0 is not valid/);
    await expect(c.post('/', 5 as never)).rejects.toThrow(/inputs: expected a Document/);
    await expect(c.post('', [])).rejects.toThrow(/endpoint "" is not valid/);
    expect(() => new Client({ port: 0 })).toThrow(/port 0 is not valid/);
    expect(() => new Client('nonsense')).toThrow(ClientConfigError);
    expect(() => new Client({ port: 1, protocol: 'smtp' as never })).toThrow(/protocol 'smtp' is unknown/);
    c.close();
    await expect(c.post('/', [])).rejects.toThrow(/is closed/);
  });
});

describe('Client over gRPC: against a bare gRPC server', () => {
  it('sends headers as metadata, compresses with gzip, and streams documents with streamDoc', async () => {
    const raw = await startRawGateway();
    try {
      const c = client({ port: raw.port, compression: 'gzip', headers: { authorization: 'Bearer t0k3n' } });
      const r = await c.post('/', [{ text: 'z'.repeat(5000) }], { headers: { 'x-extra': 'yes' } });
      expect(r.texts).toEqual(['z'.repeat(5000)]);
      expect(raw.seen.headers.at(-1)).toMatchObject({
        authorization: 'Bearer t0k3n',
        'x-extra': 'yes',
        'grpc-encoding': 'gzip',
      });
      const got: string[] = [];
      for await (const d of c.streamDoc('/stream', { text: 'w', tags: { n: 3 } })) got.push(d.text);
      expect(got).toEqual(['w-0', 'w-1', 'w-2']);
    } finally {
      await raw.close();
    }
  });
});

describe('Client over gRPC: helpers', () => {
  it('isFlowReady is true for a running Flow and false (no throw) without a gateway', async () => {
    expect(await client().isFlowReady()).toBe(true);
    expect(await client({ port: 1 }).isFlowReady({ timeoutMs: 2000 })).toBe(false);
  });

  it('profile() reports roundtrip, gateway and per-deployment times', async () => {
    const p = await client().profile();
    expect(Object.keys(p.executors)).toEqual(['upper', 'bang']);
    expect(p.roundtrip).toBeGreaterThanOrEqual(0);
    expect(p.gateway).toBeGreaterThanOrEqual(0);
    expect(p.roundtrip).toBeGreaterThanOrEqual(p.executors.upper!);
  });

  it('an unreachable gateway gives UNAVAILABLE, retried maxAttempts times with backoff', async () => {
    const c = client({ port: 1 });
    const t0 = Date.now();
    const err = await c
      .post('/', [{ text: 'x' }], { maxAttempts: 3, initialBackoff: 100, maxBackoff: 200 })
      .catch((e: unknown) => e);
    const took = Date.now() - t0;
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe(Code.Unavailable);
    expect((err as TransportError).retryable).toBe(true);
    expect((err as Error).message).toMatch(/grpc:\/\/127\.0\.0\.1:1/);
    // two waits: [50, 100] + [75, 150] ms
    expect(took).toBeGreaterThanOrEqual(120);
  });
});
