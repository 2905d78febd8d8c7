import { Document } from '@weft/docarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Code, ExecutorError, TransportError } from './index.js';
import { startStreamFlow, startTestFlow, type TestFlow } from './test-fixtures/flow.js';
import { startGrpcWebProxy } from './test-fixtures/grpc-web-proxy.js';

type Proxy = Awaited<ReturnType<typeof startGrpcWebProxy>>;
let flow: TestFlow;
let proxy: Proxy;
let streams: Awaited<ReturnType<typeof startStreamFlow>>;
let streamProxy: Proxy;
const clients: Client[] = [];
const client = (port = proxy.port) => {
  const c = new Client({ port, protocol: 'grpc-web' });
  clients.push(c);
  return c;
};
beforeAll(async () => {
  flow = await startTestFlow({ replicas: 2 });
  proxy = await startGrpcWebProxy(flow.port);
  streams = await startStreamFlow();
  streamProxy = await startGrpcWebProxy(streams.ports.grpc!);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await proxy?.close();
  await streamProxy?.close();
  await flow?.close();
  await streams?.close();
});

describe('gRPC-web transport (through a gRPC-web front of the gateway)', () => {
  it('100 docs with requestSize 10 give 10 onDone calls of 10 docs', async () => {
    const c = client();
    expect(c.address).toBe(`http://127.0.0.1:${proxy.port}`);
    const sizes: number[] = [];
    await c.post(
      '/',
      Array.from({ length: 100 }, (_, i) => ({ text: `w${i}` })),
      {
        requestSize: 10,
        onDone: (r) => void sizes.push(r.docs.length),
      },
    );
    expect(sizes).toEqual(Array(10).fill(10));
  });

  it('resultsInOrder, parameters and ExecutorError', async () => {
    const c = client();
    const inputs = [
      new Document({ text: 'a', tags: { delay: 300 } }),
      new Document({ text: 'b' }),
      new Document({ text: 'c' }),
    ];
    expect((await c.post('/slow', inputs, { requestSize: 1, resultsInOrder: true })).texts).toEqual([
      'a!',
      'b!',
      'c!',
    ]);
    const r = await c.post('/params', [{ text: 'p' }], { parameters: { k: 3 } });
    expect(r.at(0)?.tags.params).toMatchObject({ k: 3 });
    const err = await c.post('/fail', [{ text: 'x' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecutorError);
    expect((err as ExecutorError).executor).toBe('upper');
  });

  it('isFlowReady, and UNAVAILABLE with the gateway message when the gateway is gone', async () => {
    expect(await client().isFlowReady()).toBe(true);
    const flow2 = await startTestFlow();
    const p = await startGrpcWebProxy(flow2.port);
    try {
      await flow2.close();
      const c = client(p.port);
      expect(await c.isFlowReady()).toBe(false);
      const err = await c.post('/', [{ text: 'x' }]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransportError);
      expect((err as TransportError).code).toBe(Code.Unavailable);
    } finally {
      await p.close();
    }
  });

  it('streamDoc over gRPC-web server streaming', async () => {
    const got: string[] = [];
    for await (const d of client(streamProxy.port).streamDoc('/stream', { text: 'g', tags: { n: 4 } }))
      got.push(d.text);
    expect(got).toEqual(['g-0', 'g-1', 'g-2', 'g-3']);
  });
});
