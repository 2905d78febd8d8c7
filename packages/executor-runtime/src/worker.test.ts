import { createClient } from '@connectrpc/connect';
import { createDataRequest, isErrorResponse, requestDocs } from '@weft/core';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { createLeanClient, createWeftTransport, type WeftTransport } from '@weft/core/grpc';
import { DocumentArray, Tensor } from '@weft/docarray';
import {
  DataRequestProtoSchema,
  Health,
  HealthCheckResponse_ServingStatus,
  JinaDiscoverEndpointsRPC,
  JinaInfoRPC,
  JinaSingleDataRequestRPC,
} from '@weft/proto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Executor,
  type RequestContext,
  parametersFor,
  requests,
  serveExecutor,
  type Worker,
} from './index.js';

class Echo extends Executor {
  @requests({ on: '/upper' })
  upper(docs: DocumentArray) {
    for (const d of docs) d.text = d.text.toUpperCase();
  }
  @requests({ on: '/replace' })
  replace() {
    return new DocumentArray([{ text: 'new' }]);
  }
  @requests({ on: '/results' })
  results(docs: DocumentArray, ctx: RequestContext) {
    return { count: docs.length, seen: ctx.parameters.k ?? null };
  }
  @requests({ on: '/fail' })
  fail() {
    throw new TypeError('bad things');
  }
}

let worker: Worker | undefined;
let t: WeftTransport | undefined;
afterEach(async () => {
  t?.close();
  await worker?.close();
  worker = undefined;
});

async function start(cls: new () => Executor = Echo) {
  worker = await serveExecutor({ uses: cls, name: 'echo', runtimeName: 'echo/rep-0' });
  t = createWeftTransport(`http://127.0.0.1:${worker.port}`);
  return createClient(JinaSingleDataRequestRPC, t.transport);
}

describe('serveExecutor', () => {
  it('runs the bound handler and returns the mutated docs', async () => {
    const c = await start();
    const res = await c.process_single_data(
      createDataRequest({ endpoint: '/upper', docs: new DocumentArray([{ text: 'ab' }]) }),
    );
    expect(requestDocs(res).texts).toEqual(['AB']);
  });

  it('replaces docs when the handler returns a DocumentArray', async () => {
    const c = await start();
    const res = await c.process_single_data(
      createDataRequest({ endpoint: '/replace', docs: DocumentArray.empty(3) }),
    );
    expect(requestDocs(res).texts).toEqual(['new']);
  });

  it('stores a plain result under __results__[runtime name] and keeps the docs', async () => {
    const c = await start();
    const docs = DocumentArray.empty(2);
    const res = await c.process_single_data(
      createDataRequest({ endpoint: '/results', docs, parameters: { echo__k: 'mine', other__k: 'theirs' } }),
    );
    expect(requestDocs(res).ids).toEqual(docs.ids);
    expect(res.parameters?.__results__).toEqual({ 'echo/rep-0': { count: 2, seen: 'mine' } });
  });

  it('passes docs through for an unbound endpoint', async () => {
    const c = await start();
    const docs = new DocumentArray([{ text: 'same' }]);
    const res = await c.process_single_data(createDataRequest({ endpoint: '/nothing', docs }));
    expect(requestDocs(res).texts).toEqual(['same']);
  });

  it('answers a thrown error with an ERROR status and the is-error trailer, and keeps serving', async () => {
    const c = await start();
    let trailer: Headers | undefined;
    const res = await c.process_single_data(createDataRequest({ endpoint: '/fail' }), {
      onTrailer: (h) => {
        trailer = h;
      },
    });
    expect(isErrorResponse(res)).toBe(true);
    expect(res.header?.status?.exception?.name).toBe('TypeError');
    expect(res.header?.status?.exception?.args).toEqual(['bad things']);
    expect(res.header?.status?.exception?.executor).toBe('echo');
    expect(res.header?.status?.exception?.stacks.length).toBeGreaterThan(0);
    expect(trailer?.get('is-error')).toBe('true');
    const ok = await c.process_single_data(
      createDataRequest({ endpoint: '/upper', docs: new DocumentArray([{ text: 'x' }]) }),
    );
    expect(isErrorResponse(ok)).toBe(false);
  });

  it('sends the input documents back with an ERROR response', async () => {
    const c = await start();
    const docs = new DocumentArray([{ text: 'kept' }]);
    const res = await c.process_single_data(createDataRequest({ endpoint: '/fail', docs }));
    expect(isErrorResponse(res)).toBe(true);
    expect(requestDocs(res).texts).toEqual(['kept']);
    expect(requestDocs(res).ids).toEqual(docs.ids);
  });

  it('reads documents sent as docs_bytes, as Jina peers may send them', async () => {
    const c = await start();
    const req = createDataRequest({ endpoint: '/upper' });
    req.data!.documents = { case: 'docsBytes', value: new DocumentArray([{ text: 'b' }]).toBytes() };
    const res = await c.process_single_data(req);
    expect(requestDocs(res).texts).toEqual(['B']);
  });

  it('passes the document bytes of an unbound endpoint through byte for byte', async () => {
    const c = await start();
    const docs = new DocumentArray([{ text: 'same', tags: { n: 1 } }, { text: 'too' }]);
    const res = await c.process_single_data(createDataRequest({ endpoint: '/nothing', docs }));
    expect(requestDocs(res).toBytes()).toEqual(docs.toBytes());
  });

  it('answers a handler that returned nothing and never read its documents with the request bytes', async () => {
    class Quiet extends Executor {
      @requests({ on: '/quiet' })
      quiet(_docs: DocumentArray, ctx: RequestContext) {
        (ctx.parameters as { touched?: boolean }).touched = true; // parameters changes do not travel back
      }
      @requests({ on: '/read' })
      read(docs: DocumentArray) {
        void docs.length; // reads (decodes) the documents, changes nothing
      }
      @requests({ on: '/tell' })
      tell() {
        return { said: 'yes' };
      }
    }
    await start(Quiet);
    const lean = createLeanClient(`http://127.0.0.1:${worker!.port}`);
    try {
      const PATH = '/jina.JinaSingleDataRequestRPC/process_single_data';
      const docs = new DocumentArray([{ text: 'same', embedding: new Tensor(new Float32Array(16), [16]) }]);
      for (const endpoint of ['/quiet', '/nothing']) {
        const bytes = toBinary(
          DataRequestProtoSchema,
          createDataRequest({ endpoint, docs, parameters: { k: 1 } }),
        );
        const answer = await lean.unary(PATH, bytes);
        expect(Buffer.from(answer.message).equals(Buffer.from(bytes))).toBe(true);
      }
      const read = toBinary(DataRequestProtoSchema, createDataRequest({ endpoint: '/read', docs }));
      const r = fromBinary(DataRequestProtoSchema, (await lean.unary(PATH, read)).message);
      expect(requestDocs(r).texts).toEqual(['same']);
      const tell = toBinary(DataRequestProtoSchema, createDataRequest({ endpoint: '/tell', docs }));
      const told = fromBinary(DataRequestProtoSchema, (await lean.unary(PATH, tell)).message);
      expect((told.parameters as { __results__: Record<string, unknown> }).__results__['echo/rep-0']).toEqual(
        {
          said: 'yes',
        },
      );
    } finally {
      lean.close();
    }
  });

  it('answers endpoint discovery, _status and health', async () => {
    await start();
    const d = await createClient(JinaDiscoverEndpointsRPC, t!.transport).endpoint_discovery({});
    expect(d.endpoints.sort()).toEqual(['/fail', '/replace', '/results', '/upper']);
    const s = await createClient(JinaInfoRPC, t!.transport)._status({});
    expect(s.jina.weft).toBeTruthy();
    const h = await createClient(Health, t!.transport).check({});
    expect(h.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  it('runs one request at a time by default', async () => {
    let running = 0;
    let most = 0;
    class Slow extends Executor {
      @requests()
      async slow() {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
      }
    }
    const c = await start(Slow);
    await Promise.all(Array.from({ length: 5 }, () => c.process_single_data(createDataRequest())));
    expect(most).toBe(1);
  });
});

describe('parametersFor', () => {
  it('keeps own prefixed keys without the prefix and drops other executors’ keys', () => {
    expect(parametersFor({ a: 1, me__b: 2, you__c: 3, __results__: {} }, 'me')).toEqual({
      a: 1,
      b: 2,
      __results__: {},
    });
  });
  it('lets an own prefixed key override the shared one', () => {
    expect(parametersFor({ k: 'shared', me__k: 'own' }, 'me')).toEqual({ k: 'own' });
  });
});

describe('serveExecutor start failures', () => {
  it('names the address when the port is taken, and closes the executor it constructed', async () => {
    const first = await serveExecutor({ uses: Echo, name: 'first' });
    let closed = 0;
    class Closing extends Executor {
      override close() {
        closed++;
      }
    }
    try {
      await expect(serveExecutor({ uses: Closing, port: first.port })).rejects.toThrow(
        new RegExp(
          `executor Closing cannot listen on 127.0.0.1:${first.port}: .*EADDRINUSE.*choose another port`,
        ),
      );
      expect(closed).toBe(1);
    } finally {
      await first.close();
    }
  });

  it('wraps a throwing constructor in ExecutorStartError naming the class', async () => {
    class Broken extends Executor {
      constructor() {
        super();
        throw new RangeError('no model');
      }
    }
    await expect(serveExecutor({ uses: Broken })).rejects.toThrow(
      /the constructor of Broken \(class Broken\) threw RangeError: no model/,
    );
  });

  it('rejects a YAML/usesRequests rebinding to a method that does not exist, listing the methods', async () => {
    await expect(serveExecutor({ uses: Echo, usesRequests: { '/x': 'nope' } })).rejects.toThrow(
      /endpoint '\/x' is bound to 'nope', which is not a method of Echo; its methods: upper, replace, results, fail/,
    );
  });
});
