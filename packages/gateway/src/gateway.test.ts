import { createClient } from '@connectrpc/connect';
import { createDataRequest, isErrorResponse, requestDocs } from '@weft/core';
import { createWeftTransport, type WeftTransport } from '@weft/core/grpc';
import { Document, DocumentArray } from '@weft/docarray';
import pino from 'pino';
import { Executor, requests, serveExecutor, type Worker } from '@weft/executor-runtime';
import { JinaRPC, JinaSingleDataRequestRPC } from '@weft/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { GraphError, parseGraph, startGateway, type Gateway } from './index.js';

const opened: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

function appender(suffix: string) {
  return class extends Executor {
    @requests()
    add(docs: DocumentArray) {
      for (const d of docs) {
        d.text += suffix;
        d.tags = { ...d.tags, [suffix]: this.runtimeArgs.name };
      }
    }
  };
}

class Failing extends Executor {
  @requests()
  fail(): never {
    throw new Error('middle failed');
  }
}

async function worker(cls: new () => Executor, name: string, replica = 0): Promise<Worker> {
  const w = await serveExecutor({ uses: cls, name, runtimeName: `${name}/rep-${replica}` });
  opened.push(w);
  return w;
}

async function gateway(
  graph: Record<string, string[]>,
  addresses: Record<string, string[]>,
): Promise<Gateway> {
  const g = await startGateway({ graph, addresses });
  opened.push(g);
  return g;
}

function client(port: number) {
  const t: WeftTransport = createWeftTransport(`http://127.0.0.1:${port}`);
  opened.push(t);
  return {
    unary: createClient(JinaSingleDataRequestRPC, t.transport),
    stream: createClient(JinaRPC, t.transport),
  };
}

describe('parseGraph', () => {
  it('orders a chain topologically', () => {
    const order = parseGraph({ 'start-gateway': ['a'], a: ['b'], b: ['end-gateway'] });
    expect(order.map((n) => n.name)).toEqual(['a', 'b']);
  });
  it('rejects a cycle, naming the nodes', () => {
    expect(() => parseGraph({ 'start-gateway': ['a'], a: ['b'], b: ['a', 'end-gateway'] })).toThrow(
      GraphError,
    );
    expect(() => parseGraph({ 'start-gateway': ['a'], a: ['b'], b: ['a', 'end-gateway'] })).toThrow(
      /cycle through a, b/,
    );
  });
  it('rejects a self-need', () => {
    expect(() => parseGraph({ 'start-gateway': ['a'], a: ['a'] })).toThrow(/needs itself/);
  });
});

describe('gateway over a chain', () => {
  it('routes through every deployment in order and fills routes', async () => {
    const a = await worker(appender('A'), 'a');
    const b = await worker(appender('B'), 'b');
    const g = await gateway(
      { 'start-gateway': ['a'], a: ['b'], b: ['end-gateway'] },
      { a: [`127.0.0.1:${a.port}`], b: [`127.0.0.1:${b.port}`] },
    );
    const docs = DocumentArray.empty(2);
    const res = await client(g.port).unary.process_single_data(createDataRequest({ docs }));
    const out = requestDocs(res);
    expect(out.texts).toEqual(['AB', 'AB']);
    expect(out.ids).toEqual(docs.ids);
    expect(res.routes.map((r) => r.executor)).toEqual(['gateway', 'a', 'b']);
    for (const r of res.routes) {
      expect(r.startTime).toBeDefined();
      expect(r.endTime).toBeDefined();
    }
  });

  it('round-robins over replicas', async () => {
    const reps = [
      await worker(appender('A'), 'a', 0),
      await worker(appender('A'), 'a', 1),
      await worker(appender('A'), 'a', 2),
    ];
    const g = await gateway(
      { 'start-gateway': ['a'], a: ['end-gateway'] },
      { a: reps.map((w) => `127.0.0.1:${w.port}`) },
    );
    const c = client(g.port).unary;
    const seen = new Set<string>();
    for (let i = 0; i < 9; i++) {
      const res = await c.process_single_data(createDataRequest({ docs: DocumentArray.empty(1) }));
      seen.add(String(requestDocs(res).at(0)!.tags.A));
    }
    expect([...seen].sort()).toEqual(['a/rep-0', 'a/rep-1', 'a/rep-2']);
  });

  it('streams many requests over Call and answers each by request id', async () => {
    const a = await worker(appender('A'), 'a');
    const g = await gateway({ 'start-gateway': ['a'], a: ['end-gateway'] }, { a: [`127.0.0.1:${a.port}`] });
    const reqs = Array.from({ length: 20 }, () => createDataRequest({ docs: DocumentArray.empty(2) }));
    async function* input() {
      yield* reqs;
    }
    const ids: string[] = [];
    for await (const res of client(g.port).stream.call(input())) {
      expect(requestDocs(res).texts).toEqual(['A', 'A']);
      ids.push(res.header!.requestId);
    }
    expect(ids.sort()).toEqual(reqs.map((r) => r.header!.requestId).sort());
  });

  it('returns an executor error and skips the deployments after it', async () => {
    const a = await worker(appender('A'), 'a');
    const f = await worker(Failing, 'f');
    const b = await worker(appender('B'), 'b');
    const g = await gateway(
      { 'start-gateway': ['a'], a: ['f'], f: ['b'], b: ['end-gateway'] },
      { a: [`127.0.0.1:${a.port}`], f: [`127.0.0.1:${f.port}`], b: [`127.0.0.1:${b.port}`] },
    );
    const res = await client(g.port).unary.process_single_data(
      createDataRequest({ docs: DocumentArray.empty(1) }),
    );
    expect(isErrorResponse(res)).toBe(true);
    expect(res.header?.status?.exception?.executor).toBe('f');
    expect(res.routes.map((r) => r.executor)).toEqual(['gateway', 'a', 'f']);
    expect(res.routes[2]!.status?.code).toBe(1);
  });

  it('skips deployments that do not match targetExecutor', async () => {
    const a = await worker(appender('A'), 'a');
    const b = await worker(appender('B'), 'b');
    const g = await gateway(
      { 'start-gateway': ['a'], a: ['b'], b: ['end-gateway'] },
      { a: [`127.0.0.1:${a.port}`], b: [`127.0.0.1:${b.port}`] },
    );
    const res = await client(g.port).unary.process_single_data(
      createDataRequest({ docs: DocumentArray.empty(1), targetExecutor: 'b' }),
    );
    expect(requestDocs(res).texts).toEqual(['B']);
  });

  it('answers UNAVAILABLE naming the deployment and addresses when no replica is up', async () => {
    const g = await gateway(
      { 'start-gateway': ['a'], a: ['end-gateway'] },
      { a: ['127.0.0.1:1', '127.0.0.1:2'] },
    );
    await expect(
      client(g.port).unary.process_single_data(createDataRequest({ docs: DocumentArray.empty(1) })),
    ).rejects.toThrow(/deployment 'a' is unavailable.*127\.0\.0\.1:1, 127\.0\.0\.1:2/);
  });

  it('applies when-conditions to requests that carry docs_bytes', async () => {
    const a = await worker(appender('A'), 'a');
    const g = await startGateway({
      graph: { 'start-gateway': ['a'], a: ['end-gateway'] },
      addresses: { a: [`127.0.0.1:${a.port}`] },
      conditions: { a: { tags__keep: { $eq: true } } },
      logger: pino({ level: 'silent' }),
    });
    opened.push(g);
    const docs = new DocumentArray([
      new Document({ tags: { keep: true } }),
      new Document({ tags: { keep: false } }),
    ]);
    const req = createDataRequest();
    req.data = {
      $typeName: 'jina.DataRequestProto.DataContentProto',
      documents: { case: 'docsBytes', value: docs.toBytes() },
    };
    const res = await client(g.port).unary.process_single_data(req);
    expect(requestDocs(res).ids).toEqual([docs.ids[0]]);
    expect(requestDocs(res).texts).toEqual(['A']);
  });
});
