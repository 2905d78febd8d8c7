import { DocumentArray } from '@weft/docarray';
import { Executor, requests, serveExecutor } from '@weft/executor-runtime';
import { startGateway } from '@weft/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, ExecutorError } from './index.js';

class Upper extends Executor {
  @requests()
  up(docs: DocumentArray) {
    for (const d of docs) d.text = d.text.toUpperCase();
  }
  @requests({ on: '/fail' })
  fail(): never {
    throw new RangeError('no such thing');
  }
}

const closers: { close(): unknown }[] = [];
let port = 0;
beforeAll(async () => {
  const w = await serveExecutor({ uses: Upper, name: 'upper' });
  closers.push(w);
  const g = await startGateway({
    graph: { 'start-gateway': ['upper'], upper: ['end-gateway'] },
    addresses: { upper: [`127.0.0.1:${w.port}`] },
  });
  closers.unshift(g);
  port = g.port;
});
afterAll(async () => {
  for (const c of closers) await c.close();
});

describe('Client.post over gRPC', () => {
  it('returns the docs of every request in input order', async () => {
    const c = new Client({ port });
    const inputs = Array.from({ length: 250 }, (_, i) => ({ text: `d${i}` }));
    const r = await c.post('/', inputs, { requestSize: 100 });
    expect(r.texts).toEqual(inputs.map((d) => d.text.toUpperCase()));
    c.close();
  });

  it('accepts an async generator of documents', async () => {
    const c = new Client(`grpc://127.0.0.1:${port}`);
    async function* gen() {
      for (let i = 0; i < 5; i++) yield { text: `g${i}` };
    }
    const r = await c.post('/', gen(), { requestSize: 2 });
    expect(r.texts).toEqual(['G0', 'G1', 'G2', 'G3', 'G4']);
    c.close();
  });

  it('rejects with ExecutorError carrying the remote error', async () => {
    const c = new Client({ port });
    const err = await c.post('/fail', DocumentArray.empty(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecutorError);
    expect((err as ExecutorError).executor).toBe('upper');
    expect((err as ExecutorError).remoteName).toBe('RangeError');
    expect((err as ExecutorError).message).toMatch(/no such thing/);
    c.close();
  });

  it('rejects a bad port with a clear message', () => {
    expect(() => new Client({ port: 0 })).toThrow(/port 0 is not valid/);
    expect(() => new Client('nonsense')).toThrow(/is not valid/);
  });
});
