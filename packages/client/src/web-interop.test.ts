import { fromBinary } from '@bufbuild/protobuf';
import { Document } from '@weft/docarray';
import { DataRequestProtoSchema } from '@weft/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Code, ExecutorError, TransportError } from './index.js';
import { closedPort, startFakeHttpDoor, startFakeWebSocketDoor } from './test-fixtures/fake-doors.js';

type HttpDoor = Awaited<ReturnType<typeof startFakeHttpDoor>>;
type WsDoor = Awaited<ReturnType<typeof startFakeWebSocketDoor>>;
let http: HttpDoor;
let ws: WsDoor;
const clients: Client[] = [];
const client = (o: ConstructorParameters<typeof Client>[0]) => {
  const c = new Client(o);
  clients.push(c);
  return c;
};
beforeAll(async () => {
  http = await startFakeHttpDoor();
  ws = await startFakeWebSocketDoor();
});
afterAll(async () => {
  for (const c of clients) c.close();
  await http?.close();
  await ws?.close();
});

const id = (i: number) => i.toString(16).padStart(32, '0');

describe('HTTP transport: the exact JSON of the HTTP door', () => {
  it('POSTs /post with {execEndpoint, data, parameters, targetExecutor, requestId} per request', async () => {
    const c = client(`http://127.0.0.1:${http.port}`);
    expect(c.protocol).toBe('http');
    http.bodies.length = 0;
    const docs = Array.from({ length: 3 }, (_, i) => new Document({ id: id(i), text: `t${i}`, tags: { i } }));
    const r = await c.post('/x', docs, {
      requestSize: 2,
      parameters: { k: 1 },
      targetExecutor: 'upper',
      resultsInOrder: true,
    });
    expect(r.texts).toEqual(['T0', 'T1', 'T2']);
    expect(r.ids).toEqual([id(0), id(1), id(2)]);
    expect(r.at(0)?.tags).toEqual({ i: 0 });
    const bodies = http.bodies.map((b) => JSON.parse(b));
    bodies.sort((a, b) => a.data[0].id.localeCompare(b.data[0].id));
    expect(bodies[0]).toEqual({
      execEndpoint: '/x',
      data: [
        { id: id(0), text: 't0', tags: { i: 0 } },
        { id: id(1), text: 't1', tags: { i: 1 } },
      ],
      parameters: { k: 1, __results__: {} },
      targetExecutor: 'upper',
      requestId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(bodies[1].data).toEqual([{ id: id(2), text: 't2', tags: { i: 2 } }]);
    expect(http.headers.at(-1)?.['content-type']).toBe('application/json');
  });

  it('reads header, parameters, routes and status of the response JSON', async () => {
    const c = client({ port: http.port, protocol: 'http', headers: { authorization: 'Bearer abc' } });
    const [res] = await c.post('/', [{ text: 'a' }], { returnResponses: true, parameters: { p: 'q' } });
    expect(res!.parameters).toEqual({ p: 'q', __results__: {} });
    expect(res!.routes.map((r) => r.executor)).toEqual(['gateway', 'upper']);
    expect(http.headers.at(-1)?.authorization).toBe('Bearer abc');
    const p = await c.profile();
    expect(p).toEqual({ roundtrip: expect.any(Number), gateway: 6, executors: { upper: 4 } });
    const err = await c.post('/fail', [{ text: 'x' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecutorError);
    expect((err as ExecutorError).executor).toBe('upper');
    expect((err as ExecutorError).remoteStack).toEqual(['RangeError: no such thing\n']);
    expect(await c.isFlowReady()).toBe(true);
  });

  it('HTTP 503 is UNAVAILABLE with the server message, retried when asked', async () => {
    const c = client({ port: http.port, protocol: 'http' });
    http.failNext(2);
    const r = await c.post('/unavailable', [{ text: 'r' }], { maxAttempts: 3, initialBackoff: 20 });
    expect(r.texts).toEqual(['R']);
    const err = await c.post('/unavailable-always', [{ text: 'r' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe(Code.Unavailable);
    expect((err as TransportError).serverMessage).toBe("deployment 'upper' is unavailable: 127.0.0.1:1");
  });

  it('an unreachable HTTP gateway is UNAVAILABLE and isFlowReady is false', async () => {
    const c = client({ port: await closedPort(), protocol: 'http' });
    const err = await c.post('/', [{ text: 'x' }]).catch((e: unknown) => e);
    expect((err as TransportError).code).toBe(Code.Unavailable);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    expect(await c.isFlowReady()).toBe(false);
  });
});

describe('WebSocket transport: the exact frames of the WebSocket door', () => {
  it('json: one text frame per request in the /post shape, {} ends the input, responses matched by id', async () => {
    ws.frames.length = 0;
    const c = client({ port: ws.port, protocol: 'websocket', headers: { authorization: 'Bearer w' } });
    const docs = Array.from({ length: 7 }, (_, i) => new Document({ id: id(i), text: `w${i}` }));
    const r = await c.post('/', docs, { requestSize: 2, resultsInOrder: true });
    expect(r.texts).toEqual(['W0', 'W1', 'W2', 'W3', 'W4', 'W5', 'W6']);
    const frames = ws.frames.map((f) => ({ ...f, text: f.data.toString('utf8') }));
    expect(frames.every((f) => f.protocol === 'json' && !f.binary)).toBe(true);
    expect(frames).toHaveLength(5);
    expect(frames.at(-1)!.text).toBe('{}');
    expect(JSON.parse(frames[0]!.text)).toEqual({
      execEndpoint: '/',
      data: [
        { id: id(0), text: 'w0' },
        { id: id(1), text: 'w1' },
      ],
      parameters: { __results__: {} },
      requestId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(ws.upgrades.at(-1)?.authorization).toBe('Bearer w');
    expect(ws.upgrades.at(-1)?.['sec-websocket-protocol']).toBe('json');
  });

  it('arrival order differs from input order without resultsInOrder', async () => {
    const c = client(`ws://127.0.0.1:${ws.port}`);
    const r = await c.post('/', [{ text: 'a' }, { text: 'b' }, { text: 'c' }], { requestSize: 1 });
    expect(r.texts).toEqual(['C', 'B', 'A']);
  });

  it('bytes: one binary DataRequestProto frame per request, a single 0x00 ends the input', async () => {
    ws.frames.length = 0;
    const c = client({ port: ws.port, protocol: 'websocket', websocketSubprotocol: 'bytes' });
    const r = await c.post('/b', [{ text: 'x' }, { text: 'y' }, { text: 'z' }], {
      requestSize: 2,
      resultsInOrder: true,
    });
    expect(r.texts).toEqual(['X', 'Y', 'Z']);
    expect(ws.frames.map((f) => f.binary)).toEqual([true, true, true]);
    expect([...ws.frames.at(-1)!.data]).toEqual([0]);
    const first = fromBinary(DataRequestProtoSchema, new Uint8Array(ws.frames[0]!.data));
    expect(first.header?.execEndpoint).toBe('/b');
    expect(first.parameters).toEqual({ __results__: {} });
  });

  it('close code 1011 becomes the transport error named in its reason', async () => {
    const c = client({ port: ws.port, protocol: 'websocket' });
    const err = await c.post('/unavailable', [{ text: 'x' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe(Code.Unavailable);
    expect((err as TransportError).serverMessage).toBe("deployment 'upper' is unavailable");
  });

  it('an unreachable WebSocket gateway is UNAVAILABLE', async () => {
    const c = client({ port: await closedPort(), protocol: 'websocket' });
    const err = await c.post('/', [{ text: 'x' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe(Code.Unavailable);
    expect(await c.isFlowReady({ timeoutMs: 2000 })).toBe(false);
  });
});
