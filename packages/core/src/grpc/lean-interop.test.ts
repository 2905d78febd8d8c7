// Interop of the lean layer with independent gRPC stacks: @grpc/grpc-js (+ proto-loader, from
// the repo's .proto files) and connect-node, in both directions, on Jina's wire format.
import { fileURLToPath } from 'node:url';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  type DataRequestProto,
  DataRequestProtoSchema,
  DataRequestProtoWoDataSchema,
  JinaInfoRPC,
  JinaRPC,
  JinaSingleDataRequestRPC,
  RouteProtoSchema,
} from '@weft/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { registerHealth, ServingStatus } from './health.js';
import { createLeanClient } from './lean-client.js';
import { type LeanBidiHandler, type LeanUnaryHandler, startLeanGrpcServer } from './lean-server.js';
import { type GrpcServer, startGrpcServer } from './server.js';
import { createWeftTransport } from './transport.js';

const UNARY = '/jina.JinaSingleDataRequestRPC/process_single_data';
const CALL = '/jina.JinaRPC/Call';
const protoDir = fileURLToPath(new URL('../../../../proto', import.meta.url));
const loaderOptions = { includeDirs: [protoDir], keepCase: true, defaults: true, oneofs: true };
const jina = (grpc.loadPackageDefinition(protoLoader.loadSync('jina.proto', loaderOptions)) as any).jina;
const health = (
  grpc.loadPackageDefinition(protoLoader.loadSync('grpc/health/v1/health.proto', loaderOptions)) as any
).grpc.health.v1;

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** Appends a route named `name` to a decoded request. */
function withRoute(req: DataRequestProto, name: string): DataRequestProto {
  req.routes.push(create(RouteProtoSchema, { executor: name }));
  return req;
}

/** Lean unary handler: reads only the header (DataRequestProtoWoData), fails on request, else decodes and stamps a route. */
const leanUnary: LeanUnaryHandler = async (bytes, ctx) => {
  const head = fromBinary(DataRequestProtoWoDataSchema, bytes);
  const endpoint = head.header?.execEndpoint;
  if (endpoint === '/fail') throw new ConnectError('asked to fail: ünïcode 100%', Code.NotFound);
  if (endpoint === '/slow') await new Promise((r) => setTimeout(r, 2000));
  if (endpoint === '/error') ctx.responseTrailer.set('is-error', 'true');
  ctx.responseTrailer.set('x-metadata-seen', ctx.requestHeader.get('x-client') ?? 'none');
  return toBinary(DataRequestProtoSchema, withRoute(fromBinary(DataRequestProtoSchema, bytes), 'lean'));
};

const leanCall: LeanBidiHandler = async function* (requests) {
  for await (const bytes of requests) {
    yield toBinary(
      DataRequestProtoSchema,
      withRoute(fromBinary(DataRequestProtoSchema, bytes), 'lean-stream'),
    );
  }
};

async function leanServer(): Promise<GrpcServer> {
  const server = await startLeanGrpcServer({
    routes: (router) => {
      registerHealth(router, () => ServingStatus.SERVING);
      router.service(JinaInfoRPC, { _status: () => ({ jina: { weft: 'test' }, envs: {} }) });
    },
    unary: { [UNARY]: leanUnary },
    bidi: { [CALL]: leanCall },
  });
  cleanup.push(() => server.close(100));
  return server;
}

function grpcJsClient(service: any, port: number): any {
  const c = new service(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  cleanup.push(() => c.close());
  return c;
}

const plainRequest = (endpoint: string, id = 'a'.repeat(32)) => ({
  header: { request_id: id, exec_endpoint: endpoint },
  parameters: { fields: { __results__: { structValue: { fields: {} } } } },
  data: {
    docs: {
      docs: [
        { id: 'one', text: 'hello' },
        { id: 'two', embedding: undefined },
      ],
    },
  },
});

describe('grpc-js client → lean server', () => {
  it('calls process_single_data (unary) with metadata and reads the trailers', async () => {
    const server = await leanServer();
    const client = grpcJsClient(jina.JinaSingleDataRequestRPC, server.port);
    const md = new grpc.Metadata();
    md.set('x-client', 'grpc-js');
    let trailers: grpc.Metadata | undefined;
    const res = await new Promise<any>((resolve, reject) => {
      const call = client.process_single_data(plainRequest('/error'), md, (err: unknown, r: unknown) =>
        err ? reject(err) : resolve(r),
      );
      call.on('status', (s: grpc.StatusObject) => {
        trailers = s.metadata;
      });
    });
    expect(res.header.request_id).toBe('a'.repeat(32));
    expect(res.data.docs.docs.map((d: any) => [d.id, d.text ?? null])).toEqual([
      ['one', 'hello'],
      ['two', null],
    ]);
    expect(res.routes.map((r: any) => r.executor)).toEqual(['lean']);
    await new Promise((r) => setTimeout(r, 10));
    expect(trailers?.get('is-error')).toEqual(['true']);
    expect(trailers?.get('x-metadata-seen')).toEqual(['grpc-js']);
  });

  it('gets the status code and the exact message of a failing handler', async () => {
    const server = await leanServer();
    const client = grpcJsClient(jina.JinaSingleDataRequestRPC, server.port);
    const err = await new Promise<any>((resolve) =>
      client.process_single_data(plainRequest('/fail'), resolve),
    );
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    expect(err.details).toBe('asked to fail: ünïcode 100%');
  });

  it('gets DEADLINE_EXCEEDED when its deadline passes', async () => {
    const server = await leanServer();
    const client = grpcJsClient(jina.JinaSingleDataRequestRPC, server.port);
    const err = await new Promise<any>((resolve) =>
      client.process_single_data(plainRequest('/slow'), { deadline: Date.now() + 200 }, resolve),
    );
    expect(err.code).toBe(grpc.status.DEADLINE_EXCEEDED);
  });

  it('gets UNIMPLEMENTED with a message when it sends gzip-compressed requests', async () => {
    const server = await leanServer();
    const client = new jina.JinaSingleDataRequestRPC(
      `127.0.0.1:${server.port}`,
      grpc.credentials.createInsecure(),
      {
        'grpc.default_compression_algorithm': 2, // gzip
      },
    );
    cleanup.push(() => client.close());
    const err = await new Promise<any>((resolve) => client.process_single_data(plainRequest('/'), resolve));
    expect(err.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(err.details).toMatch(/compressed with 'gzip'.*identity/);
  });

  it('streams several requests through JinaRPC/Call (bidi) in order', async () => {
    const server = await leanServer();
    const client = grpcJsClient(jina.JinaRPC, server.port);
    const ids = ['1'.repeat(32), '2'.repeat(32), '3'.repeat(32)];
    const out = await new Promise<any[]>((resolve, reject) => {
      const got: any[] = [];
      const call = client.Call();
      call.on('data', (d: any) => got.push(d));
      call.on('error', reject);
      call.on('end', () => resolve(got));
      for (const id of ids) call.write(plainRequest('/', id));
      call.end();
    });
    expect(out.map((r) => r.header.request_id)).toEqual(ids);
    expect(out.every((r) => r.routes[0].executor === 'lean-stream')).toBe(true);
  });

  it('reaches connect-served methods on the same port (_status, health)', async () => {
    const server = await leanServer();
    const info = grpcJsClient(jina.JinaInfoRPC, server.port);
    const status = await new Promise<any>((resolve, reject) =>
      info._status({}, (err: unknown, r: unknown) => (err ? reject(err) : resolve(r))),
    );
    expect(status.jina).toEqual({ weft: 'test' });
    const h = grpcJsClient(health.Health, server.port);
    const check = await new Promise<any>((resolve, reject) =>
      h.Check({}, (err: unknown, r: unknown) => (err ? reject(err) : resolve(r))),
    );
    expect(check.status).toBe(1); // SERVING (proto-loader keeps enums as numbers here)
  });
});

describe('connect-node client → lean server', () => {
  it('calls the unary and the bidi method with the generated descriptors', async () => {
    const server = await leanServer();
    const t = createWeftTransport(`http://127.0.0.1:${server.port}`);
    cleanup.push(() => t.close());
    const single = createClient(JinaSingleDataRequestRPC, t.transport);
    const req = create(DataRequestProtoSchema, { header: { requestId: 'b'.repeat(32), execEndpoint: '/' } });
    const res = await single.process_single_data(req, { headers: { 'x-client': 'connect' } });
    expect(res.header?.requestId).toBe('b'.repeat(32));
    expect(res.routes.map((r) => r.executor)).toEqual(['lean']);

    const fail = await single
      .process_single_data(create(DataRequestProtoSchema, { header: { execEndpoint: '/fail' } }))
      .catch((e) => e);
    expect(ConnectError.from(fail).code).toBe(Code.NotFound);
    expect(ConnectError.from(fail).rawMessage).toBe('asked to fail: ünïcode 100%');

    const stream = createClient(JinaRPC, t.transport);
    async function* requests() {
      for (const id of ['c', 'd'])
        yield create(DataRequestProtoSchema, { header: { requestId: id.repeat(32) } });
    }
    const ids: string[] = [];
    for await (const r of stream.call(requests())) ids.push(r.header!.requestId);
    expect(ids).toEqual(['c'.repeat(32), 'd'.repeat(32)]);
  });
});

describe('lean client → other servers', () => {
  const request = () =>
    toBinary(
      DataRequestProtoSchema,
      create(DataRequestProtoSchema, { header: { requestId: 'e'.repeat(32), execEndpoint: '/' } }),
    );

  it('calls a connect-node server and reads its is-error trailer and its errors', async () => {
    const server = await startGrpcServer({
      routes: (router) =>
        router.service(JinaSingleDataRequestRPC, {
          process_single_data: (req, ctx) => {
            if (req.header?.execEndpoint === '/fail') {
              throw new ConnectError('connect says no', Code.PermissionDenied);
            }
            ctx.responseTrailer.set('is-error', 'true');
            return withRoute(req, 'connect');
          },
        }),
    });
    cleanup.push(() => server.close(100));
    const client = createLeanClient(`http://127.0.0.1:${server.port}`);
    cleanup.push(() => client.close());
    const r = await client.unary(UNARY, request());
    const res = fromBinary(DataRequestProtoSchema, r.message);
    expect(res.header?.requestId).toBe('e'.repeat(32));
    expect(res.routes.map((x) => x.executor)).toEqual(['connect']);
    expect(r.trailer.get('is-error')).toBe('true');
    const failing = toBinary(
      DataRequestProtoSchema,
      create(DataRequestProtoSchema, { header: { execEndpoint: '/fail' } }),
    );
    const err = await client.unary(UNARY, failing).catch((e) => e);
    expect(err.code).toBe(Code.PermissionDenied);
    expect(err.rawMessage).toBe('connect says no');
  });

  it('calls a grpc-js server and maps its status and message', async () => {
    const server = new grpc.Server();
    server.addService(jina.JinaSingleDataRequestRPC.service, {
      process_single_data(call: any, callback: any) {
        if (call.request.header.exec_endpoint === '/fail') {
          callback({ code: grpc.status.FAILED_PRECONDITION, details: 'grpc-js says: not ready ✗' });
          return;
        }
        const md = new grpc.Metadata();
        md.set('is-error', 'true');
        callback(null, { ...call.request, routes: [{ executor: 'grpc-js' }] }, md);
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    cleanup.push(() => server.forceShutdown());
    const client = createLeanClient(`http://127.0.0.1:${port}`);
    cleanup.push(() => client.close());
    const r = await client.unary(UNARY, request(), { timeoutMs: 5000 });
    const res = fromBinary(DataRequestProtoSchema, r.message);
    expect(res.header?.requestId).toBe('e'.repeat(32));
    expect(res.routes.map((x) => x.executor)).toEqual(['grpc-js']);
    expect(r.trailer.get('is-error')).toBe('true');
    const failing = toBinary(
      DataRequestProtoSchema,
      create(DataRequestProtoSchema, { header: { execEndpoint: '/fail' } }),
    );
    const err = await client.unary(UNARY, failing).catch((e) => e);
    expect(err.code).toBe(Code.FailedPrecondition);
    expect(err.rawMessage).toBe('grpc-js says: not ready ✗');
  });
});
