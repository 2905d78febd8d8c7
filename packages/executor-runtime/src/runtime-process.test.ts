// Every rule of the executor runtime, checked against real runtime processes over real gRPC.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createDataRequest, isErrorResponse, requestDocs } from '@weft/core';
import { Document, DocumentArray } from '@weft/docarray';
import {
  DataRequestListProtoSchema,
  Health,
  HealthCheckResponse_ServingStatus,
  JinaDataRequestRPC,
  JinaDiscoverEndpointsRPC,
  JinaInfoRPC,
  JinaRPC,
  JinaSingleDataRequestRPC,
  JinaSingleDocumentRequestRPC,
  RouteProtoSchema,
  SingleDocumentRequestProtoSchema,
} from '@weft/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RuntimeChild, startRuntime } from './test-fixtures/harness.js';

/** The runtime's own entry in a response's `__results__`. */
const resultOf = (res: { parameters?: Record<string, unknown> }) =>
  (res.parameters!.__results__ as Record<string, any>)['kitchen/rep-1'];

const PROTO_DIR = fileURLToPath(new URL('../../../proto', import.meta.url));

describe('a runtime process serving Kitchen', () => {
  let rt: RuntimeChild;
  let workspace: string;
  let closeFile: string;
  let c: ReturnType<typeof createClient<typeof JinaSingleDataRequestRPC>>;

  beforeAll(async () => {
    workspace = mkdtempSync(join(tmpdir(), 'weft-ws-'));
    closeFile = join(workspace, 'closed.txt');
    rt = await startRuntime(
      {
        uses: './executors.ts#Kitchen',
        name: 'kitchen',
        usesWith: { greeting: 'hey' },
        usesMetas: { description: 'test kitchen' },
        workspace,
        runtimeArgs: { replicas: 2, replicaId: 1, shards: 3, shardId: 2 },
        maxMessageBytes: 64 * 1024,
      },
      { WEFT_TEST_CLOSE_FILE: closeFile },
    );
    c = createClient(JinaSingleDataRequestRPC, rt.transport);
  });
  afterAll(async () => {
    expect(await rt.stop()).toBe(0);
    expect(readFileSync(closeFile, 'utf8')).toBe('closed kitchen/rep-1\n');
    rmSync(workspace, { recursive: true, force: true });
  });

  const post = (endpoint: string, docs?: DocumentArray, parameters = {}) =>
    c.process_single_data(createDataRequest({ endpoint, docs, parameters }));

  it('binds endpoints, several endpoints to one method, and the default handler', async () => {
    expect(requestDocs(await post('/upper', new DocumentArray([{ text: 'ab' }]))).texts).toEqual(['AB']);
    const a = requestDocs(await post('/a', DocumentArray.empty(1)));
    const b = requestDocs(await post('/b', DocumentArray.empty(1)));
    expect([a.at(0)!.tags.endpoint, b.at(0)!.tags.endpoint]).toEqual(['/a', '/b']);
    expect(requestDocs(await post('/unbound', new DocumentArray([{ text: 'x' }]))).texts).toEqual([
      'default:x',
    ]);
  });

  it('runs async handlers and replaces docs when a DocumentArray is returned', async () => {
    expect(requestDocs(await post('/async', new DocumentArray([{ text: 'x' }]))).texts).toEqual(['x!']);
    expect(requestDocs(await post('/replace', DocumentArray.empty(3))).texts).toEqual(['new']);
  });

  it('stores a plain result under __results__[runtime name], with name__key parameters', async () => {
    const docs = DocumentArray.empty(2);
    const res = await post('/results', docs, { shared: 1, kitchen__k: 'mine', other__k: 'theirs' });
    expect(requestDocs(res).ids).toEqual(docs.ids);
    expect(res.parameters?.__results__).toEqual({
      'kitchen/rep-1': { count: 2, params: { shared: 1, k: 'mine', __results__: {} } },
    });
  });

  it('gives the executor its with-arguments, metas, runtime args, workspace and logger', async () => {
    const res = await post('/config');
    const cfg = resultOf(res);
    expect(cfg.with).toEqual({ greeting: 'hey' });
    expect(cfg.metas).toMatchObject({ name: 'kitchen', description: 'test kitchen' });
    expect(cfg.runtimeArgs).toMatchObject({
      name: 'kitchen/rep-1',
      deploymentName: 'kitchen',
      replicas: 2,
      replicaId: 1,
      shards: 3,
      shardId: 2,
      workspace,
    });
    expect(cfg.workspace).toBe(join(workspace, 'kitchen', '2'));
    expect(cfg.logger).toBe('function');
  });

  it('passes request headers to the handler', async () => {
    const res = await c.process_single_data(createDataRequest({ endpoint: '/headers' }), {
      headers: { 'x-weft-test': 'hello' },
    });
    expect(resultOf(res)).toEqual({ value: 'hello' });
  });

  it('aborts ctx.signal when the caller’s deadline passes', async () => {
    const err = await c
      .process_single_data(createDataRequest({ endpoint: '/deadline' }), { timeoutMs: 300 })
      .catch((e: unknown) => e);
    expect(ConnectError.from(err).code).toBe(Code.DeadlineExceeded);
    const seen = resultOf(await post('/last-abort'));
    expect(seen.aborted).toBe(true);
    expect(seen.afterMs).toBeLessThan(2000);
  });

  it('answers a thrown error with ERROR, exception fields and the is-error trailer', async () => {
    let trailer: Headers | undefined;
    const res = await c.process_single_data(createDataRequest({ endpoint: '/fail' }), {
      onTrailer: (h) => {
        trailer = h;
      },
    });
    expect(isErrorResponse(res)).toBe(true);
    const ex = res.header?.status?.exception;
    expect(ex?.name).toBe('TypeError');
    expect(ex?.args).toEqual(['bad things']);
    expect(ex?.executor).toBe('kitchen');
    expect(ex?.stacks.join('')).toContain('Kitchen.fail');
    expect(res.header?.status?.description).toBe('TypeError: bad things');
    expect(trailer?.get('is-error')).toBe('true');
  });

  it('keeps serving through errors: 100 alternating requests give exactly 50 ERROR and 50 SUCCESS', async () => {
    const res = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        post('/fail', new DocumentArray([{ text: i % 2 ? 'ok' : 'no' }])),
      ),
    );
    expect(res.filter(isErrorResponse)).toHaveLength(50);
    expect(res.filter((r) => !isErrorResponse(r))).toHaveLength(50);
    expect(res.map(isErrorResponse)).toEqual(Array.from({ length: 100 }, (_, i) => i % 2 === 0));
  });

  it('runs one request at a time by default', async () => {
    await Promise.all(Array.from({ length: 6 }, () => post('/slow', DocumentArray.empty(1), { ms: 30 })));
    expect(resultOf(await post('/most')).most).toBe(1);
  });

  it('gives docsMatrix and docsMap to process_data joins', async () => {
    const part = (executor: string, text: string) => {
      const r = createDataRequest({ endpoint: '/join', docs: new DocumentArray([{ text }]) });
      r.routes.push(
        create(RouteProtoSchema, { executor: 'gateway' }),
        create(RouteProtoSchema, { executor }),
      );
      return r;
    };
    const res = await createClient(JinaDataRequestRPC, rt.transport).process_data(
      create(DataRequestListProtoSchema, { requests: [part('left', 'l'), part('right', 'r')] }),
    );
    expect(resultOf(res)).toEqual({
      docs: ['l'],
      matrix: [['l'], ['r']],
      map: { left: ['l'], right: ['r'] },
    });
    const empty = await createClient(JinaDataRequestRPC, rt.transport)
      .process_data(create(DataRequestListProtoSchema, { requests: [] }))
      .catch((e: unknown) => ConnectError.from(e));
    expect((empty as ConnectError).code).toBe(Code.InvalidArgument);
  });

  it('streams one document per yield, in order, over stream_doc', async () => {
    const s = createClient(JinaSingleDocumentRequestRPC, rt.transport);
    const req = create(SingleDocumentRequestProtoSchema, {
      header: { requestId: 'r1', execEndpoint: '/stream' },
      parameters: { n: 4 },
      document: new Document({ text: 'q' }).toProto(),
    });
    const texts: string[] = [];
    for await (const r of s.stream_doc(req)) {
      expect(r.header?.requestId).toBe('r1');
      texts.push(r.document!.content.case === 'text' ? r.document!.content.value : '');
    }
    expect(texts).toEqual(['q-0', 'q-1', 'q-2', 'q-3']);
  });

  it('answers a failing stream with its documents so far and then an ERROR message', async () => {
    const s = createClient(JinaSingleDocumentRequestRPC, rt.transport);
    const req = create(SingleDocumentRequestProtoSchema, {
      header: { requestId: 'r2', execEndpoint: '/stream-fail' },
      document: new Document({ text: 'q' }).toProto(),
    });
    const out = [];
    for await (const r of s.stream_doc(req)) out.push(r);
    expect(out).toHaveLength(2);
    expect(out[0]!.header?.status).toBeUndefined();
    expect(out[1]!.header?.status?.exception?.name).toBe('RangeError');
  });

  it('refuses a streaming endpoint on process_single_data with a clear ERROR', async () => {
    const res = await post('/stream', DocumentArray.empty(1));
    expect(isErrorResponse(res)).toBe(true);
    expect(res.header?.status?.description).toMatch(/streaming endpoint.*stream_doc/);
  });

  it('serves JinaRPC/Call as a stream of requests', async () => {
    async function* reqs() {
      for (const t of ['a', 'b', 'c'])
        yield createDataRequest({ endpoint: '/upper', docs: new DocumentArray([{ text: t }]) });
    }
    const out: string[] = [];
    for await (const r of createClient(JinaRPC, rt.transport).call(reqs())) out.push(...requestDocs(r).texts);
    expect(out).toEqual(['A', 'B', 'C']);
  });

  it('answers endpoint_discovery, _status and health', async () => {
    const d = await createClient(JinaDiscoverEndpointsRPC, rt.transport).endpoint_discovery({});
    expect(d.endpoints).toContain('/upper');
    expect(d.endpoints).toContain('/default');
    expect(d.endpoints).toContain('/stream');
    const s = await createClient(JinaInfoRPC, rt.transport)._status({});
    expect(s.jina.executor).toBe('Kitchen');
    const h = await createClient(Health, rt.transport).check({});
    expect(h.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  it('answers a client built with @grpc/grpc-js and @grpc/proto-loader from our .proto files', async () => {
    const def = protoLoader.loadSync(['jina.proto', 'grpc/health/v1/health.proto'], {
      includeDirs: [PROTO_DIR],
      keepCase: true,
      defaults: true,
      oneofs: true,
      enums: String,
    });
    const pkg = grpc.loadPackageDefinition(def) as any;
    const addr = `127.0.0.1:${rt.port}`;
    const creds = grpc.credentials.createInsecure();
    const single = new pkg.jina.JinaSingleDataRequestRPC(addr, creds);
    const discover = new pkg.jina.JinaDiscoverEndpointsRPC(addr, creds);
    const health = new pkg.grpc.health.v1.Health(addr, creds);
    const call = <T>(client: any, method: string, req: unknown) =>
      new Promise<T>((resolve, reject) =>
        client[method](req, { deadline: Date.now() + 5000 }, (err: Error | null, res: T) =>
          err ? reject(err) : resolve(res),
        ),
      );
    try {
      const res = await call<any>(single, 'process_single_data', {
        header: { request_id: 'a'.repeat(32), exec_endpoint: '/upper' },
        parameters: { fields: { __results__: { struct_value: { fields: {} } } } },
        data: { docs: { docs: [{ id: 'd1', text: 'grpc-js' }] } },
      });
      expect(res.header.request_id).toBe('a'.repeat(32));
      expect(res.data.docs.docs.map((d: any) => [d.id, d.text])).toEqual([['d1', 'GRPC-JS']]);
      const eps = await call<any>(discover, 'endpoint_discovery', {});
      expect(eps.endpoints).toContain('/upper');
      const h = await call<any>(health, 'Check', {});
      expect(h.status).toBe('SERVING');
    } finally {
      single.close();
      discover.close();
      health.close();
    }
  });

  it('refuses malformed protobuf with INVALID_ARGUMENT and keeps serving', async () => {
    const client = new grpc.Client(`127.0.0.1:${rt.port}`, grpc.credentials.createInsecure());
    try {
      const err = await new Promise<grpc.ServiceError | null>((resolve) =>
        client.makeUnaryRequest(
          '/jina.JinaSingleDataRequestRPC/process_single_data',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]),
          { deadline: Date.now() + 5000 },
          (e) => resolve(e),
        ),
      );
      expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err?.details).toMatch(/malformed DataRequestProto.*must encode jina\.DataRequestProto/);
    } finally {
      client.close();
    }
    expect(requestDocs(await post('/upper', new DocumentArray([{ text: 'still' }]))).texts).toEqual([
      'STILL',
    ]);
  });

  it('rejects a message over maxMessageBytes with RESOURCE_EXHAUSTED and keeps serving', async () => {
    const big = new DocumentArray([{ text: 'x'.repeat(100 * 1024) }]);
    const err = await post('/upper', big).catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.ResourceExhausted);
    expect(requestDocs(await post('/upper', new DocumentArray([{ text: 'small' }]))).texts).toEqual([
      'SMALL',
    ]);
  });
});
