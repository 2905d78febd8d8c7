import { Document } from '@weft/docarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Code, ExecutorError, TlsError, TransportError } from './index.js';
import { makeTestCerts, type TestCerts } from './test-fixtures/certs.js';
import { startDeadFlow, startStreamFlow, startTestFlow, type TestFlow } from './test-fixtures/flow.js';

// The same scenarios against the real gateway's three doors.
const PROTOCOLS: ('grpc' | 'http' | 'websocket')[] = ['grpc', 'http', 'websocket'];
let flow: TestFlow;
let flow2: TestFlow;
let tlsFlow: TestFlow;
let streams: Awaited<ReturnType<typeof startStreamFlow>>;
let dead: Awaited<ReturnType<typeof startDeadFlow>>;
let certs: TestCerts;
const clients: Client[] = [];

beforeAll(async () => {
  certs = makeTestCerts();
  flow = await startTestFlow({ protocols: PROTOCOLS });
  flow2 = await startTestFlow({ protocols: PROTOCOLS, replicas: 2 });
  tlsFlow = await startTestFlow({
    protocols: PROTOCOLS,
    tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile },
  });
  streams = await startStreamFlow();
  dead = await startDeadFlow();
}, 60_000);
afterAll(async () => {
  for (const c of clients) c.close();
  await flow?.close();
  await flow2?.close();
  await tlsFlow?.close();
  await streams?.close();
  await dead?.close();
  certs?.remove();
});

const texts = (n: number) => Array.from({ length: n }, (_, i) => ({ text: `d${i}` }));

describe.each(PROTOCOLS)('against the real gateway over %s', (protocol) => {
  const client = (f: TestFlow = flow, extra: object = {}) => {
    const c = new Client({ port: f.ports[protocol]!, protocol, ...extra });
    clients.push(c);
    return c;
  };

  it('100 docs with requestSize 10 give 10 onDone calls of 10 docs, through both deployments', async () => {
    const seen: string[] = [];
    await client().post('/', texts(100), {
      requestSize: 10,
      onDone: (r) => {
        expect(r.docs.length).toBe(10);
        seen.push(...r.docs.texts);
      },
    });
    expect(seen.sort()).toEqual(
      texts(100)
        .map((d) => `${d.text.toUpperCase()}!`)
        .sort(),
    );
  });

  it('resultsInOrder restores input order when replicas answer out of order', async () => {
    const c = client(flow2);
    const inputs = () => [
      new Document({ text: 'a', tags: { delay: 400 } }),
      ...['b', 'c', 'd'].map((text) => new Document({ text })),
    ];
    const arrival = await c.post('/slow', inputs(), { requestSize: 1 });
    expect(arrival.texts[0]).not.toBe('a!');
    const ordered = await c.post('/slow', inputs(), { requestSize: 1, resultsInOrder: true });
    expect(ordered.texts).toEqual(['a!', 'b!', 'c!', 'd!']);
  });

  it('callbacks run done, always / error, always; without onError an ERROR rejects', async () => {
    const calls: string[] = [];
    await client().post('/fail', [{ text: 'ok' }, { text: 'bad' }], {
      requestSize: 1,
      prefetch: 1,
      onDone: () => void calls.push('done'),
      onError: () => void calls.push('error'),
      onAlways: () => void calls.push('always'),
    });
    expect(calls).toEqual(['done', 'always', 'error', 'always']);
    const err = await client()
      .post('/fail', [{ text: 'bad' }])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecutorError);
    expect((err as ExecutorError).executor).toBe('upper');
    expect((err as ExecutorError).remoteName).toBe('RangeError');
  });

  it('parameters, targetExecutor, returnResponses, CRUD shortcuts', async () => {
    const c = client();
    const [res] = await c.post('/params', [{ text: 'p' }], { parameters: { k: 2 }, returnResponses: true });
    expect(res!.docs.at(0)?.tags.params).toMatchObject({ k: 2 });
    expect(res!.routes.map((r) => r.executor)).toEqual(['gateway', 'upper', 'bang']);
    expect((await c.post('/', [{ text: 'x' }], { targetExecutor: 'upper' })).texts).toEqual(['X']);
    expect((await c.search([{ text: 's' }])).texts).toEqual(['/search:s!']);
    expect((await c.delete([{ text: 'x' }])).texts).toEqual(['/delete:x!']);
  });

  it('isFlowReady and profile', async () => {
    const c = client();
    expect(await c.isFlowReady()).toBe(true);
    const p = await c.profile();
    expect(Object.keys(p.executors)).toEqual(['upper', 'bang']);
  });

  it('streamDoc yields what a streaming endpoint yields', async () => {
    const c = new Client({ port: streams.ports[protocol]!, protocol });
    clients.push(c);
    if (protocol === 'websocket') {
      await expect(async () => {
        for await (const _ of c.streamDoc('/stream', { text: 's' }));
      }).rejects.toThrow(/streamDoc is not available over websocket/);
      return;
    }
    const got: string[] = [];
    for await (const d of c.streamDoc('/stream', { text: 's', tags: { n: 3 } })) got.push(d.text);
    expect(got).toEqual(['s-0', 's-1', 's-2']);
  });

  it('TLS with a custom CA; a wrong CA and plaintext are TlsErrors', async () => {
    const ok = client(tlsFlow, { tls: { ca: certs.ca } });
    expect((await ok.post('/', [{ text: 't' }])).texts).toEqual(['T!']);
    const wrong = await client(tlsFlow, { tls: { ca: certs.otherCa } })
      .post('/', [{ text: 't' }])
      .catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(TlsError);
    const plain = await client(tlsFlow)
      .post('/', [{ text: 't' }])
      .catch((e: unknown) => e);
    expect(plain).toBeInstanceOf(TlsError);
    expect((plain as Error).message).toMatch(/speaks TLS .*connect with tls: true/);
  });

  it('a deployment that is down: UNAVAILABLE naming it from post, false from isFlowReady', async () => {
    const c = new Client({ port: dead.ports[protocol]!, protocol });
    clients.push(c);
    const err = await c.post('/', [{ text: 'x' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe(Code.Unavailable);
    expect((err as TransportError).serverMessage).toMatch(/ghost/);
    expect(await c.isFlowReady()).toBe(false);
  });
});
