import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { createDataRequest, requestDocs } from '@weft/core';
import { createWeftTransport } from '@weft/core/grpc';
import { DocumentArray } from '@weft/docarray';
import { serveExecutor, type Worker } from '@weft/executor-runtime';
import {
  DataRequestProtoSchema,
  JinaDiscoverEndpointsRPC,
  JinaGatewayDryRunRPC,
  JinaInfoRPC,
  JinaRPC,
} from '@weft/proto';
import pino from 'pino';
import { Agent, fetch } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Gateway, type GatewayOptions, startGateway } from './index.js';
import { appender, OnlyIndex, Slow } from './test-fixtures/harness.js';

const workers: Worker[] = [];
let a: string;
let idx: string;
let slow: string;
beforeAll(async () => {
  const wa = await serveExecutor({ uses: appender('A'), name: 'a' });
  const wi = await serveExecutor({ uses: OnlyIndex, name: 'idx' });
  const ws = await serveExecutor({ uses: Slow, name: 'slow', allowConcurrent: true });
  workers.push(wa, wi, ws);
  a = `127.0.0.1:${wa.port}`;
  idx = `127.0.0.1:${wi.port}`;
  slow = `127.0.0.1:${ws.port}`;
});
afterAll(async () => {
  for (const w of workers) await w.close(1000);
});

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function gateway(extra: Partial<GatewayOptions> = {}): Promise<Gateway> {
  const g = await startGateway({
    graph: { 'start-gateway': ['a'], a: ['idx'], idx: ['end-gateway'] },
    addresses: { a: [a], idx: [idx] },
    logger: pino({ level: 'silent' }),
    ...extra,
  });
  closers.push(() => g.close(2000));
  return g;
}

const agent = new Agent({ connections: 8 });
afterAll(() => agent.close());
const http = (port: number, path: string, init: Parameters<typeof fetch>[1] = {}) =>
  fetch(`http://127.0.0.1:${port}${path}`, {
    dispatcher: agent,
    signal: AbortSignal.timeout(10_000),
    ...init,
  });
const postJson = (port: number, path: string, body: unknown, method = 'POST') =>
  http(port, path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('HTTP door', () => {
  it('serves /, /status, /dry_run and the CRUD routes with Jina shapes', async () => {
    const g = await gateway({ protocol: 'http' });
    expect(await (await http(g.port, '/')).json()).toEqual({});
    const status: any = await (await http(g.port, '/status')).json();
    expect(status.jina.weft).toBeDefined();
    expect(await (await http(g.port, '/dry_run')).json()).toMatchObject({ code: 0 });
    const res = await postJson(g.port, '/index', { data: [{ text: 'x', tags: { k: 1 } }] });
    expect(res.status).toBe(200);
    const body: any = await res.json();
    expect(body.data[0]).toMatchObject({ text: 'xAI', tags: { k: 1 } });
    expect(body.header).toMatchObject({ exec_endpoint: '/index' });
    expect(body.header.request_id).toMatch(/^[0-9a-f]{32}$/);
    expect(body.routes.map((r: any) => r.executor)).toEqual(['gateway', 'a', 'idx']);
    expect(body.parameters).toEqual({ __results__: {} });
    const viaPost: any = await (
      await postJson(g.port, '/post', { data: { docs: [{ text: 'y' }] }, exec_endpoint: '/search' })
    ).json();
    expect(viaPost.data[0].text).toBe('yA');
    for (const [method, path] of [
      ['PUT', '/update'],
      ['DELETE', '/delete'],
      ['POST', '/search'],
    ]) {
      expect((await postJson(g.port, path!, { data: [] }, method)).status).toBe(200);
    }
  });

  it('rejects bad input with clear 4xx answers and keeps serving', async () => {
    const g = await gateway({ protocol: 'http', bodyLimit: 1024 });
    const bad = await http(g.port, '/post', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"data": [',
    });
    expect(bad.status).toBe(400);
    const wrong = await postJson(g.port, '/post', { data: [{ text: 5 }] });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as any).detail).toMatch(
      /data\[0\]: JSON document field 'text' must be a string/,
    );
    const params = await postJson(g.port, '/post', { parameters: 'nope' });
    expect(params.status).toBe(400);
    const big = await postJson(g.port, '/post', { data: [{ text: 'x'.repeat(4096) }] });
    expect(big.status).toBe(413);
    expect((await http(g.port, '/nope')).status).toBe(404);
    expect((await postJson(g.port, '/post', { data: [{ text: 'ok' }] })).status).toBe(200);
  });

  it('publishes /openapi.json with the routes, serves Swagger UI at /docs, and CORS when enabled', async () => {
    const g = await gateway({ protocol: 'http', cors: true, noCrudEndpoints: true });
    const spec: any = await (await http(g.port, '/openapi.json')).json();
    expect(spec.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/post', '/status', '/dry_run']));
    expect(spec.paths['/index']).toBeUndefined();
    expect(spec.paths['/post'].post.requestBody).toBeDefined();
    const docs = await http(g.port, '/docs/');
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger/i);
    const pre = await http(g.port, '/post', {
      method: 'OPTIONS',
      headers: { origin: 'http://example.test', 'access-control-request-method': 'POST' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://example.test');
  });

  it('adds routes for executor endpoints with exposeEndpoints and drops debug routes with noDebugEndpoints', async () => {
    const g = await gateway({
      protocol: 'http',
      exposeEndpoints: true,
      noDebugEndpoints: true,
      noCrudEndpoints: true,
    });
    expect((await http(g.port, '/status')).status).toBe(404);
    const res = await postJson(g.port, '/index', { data: [{ text: '' }] });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).data[0].text).toBe('AI');
  });
});

describe('WebSocket door', () => {
  function open(port: number, protocol: string): Promise<WebSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, protocol);
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  }
  function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
    return new Promise((r) => ws.once('close', (code, reason) => r({ code, reason: String(reason) })));
  }

  it('json: many requests in flight on one connection, answered by request id; {} ends the input', async () => {
    const g = await startGateway({
      graph: { 'start-gateway': ['s'], s: ['end-gateway'] },
      addresses: { s: [slow] },
      protocol: 'websocket',
      logger: pino({ level: 'silent' }),
    });
    closers.push(() => g.close(2000));
    const ws = await open(g.port, 'json');
    expect(ws.protocol).toBe('json');
    const answers: any[] = [];
    ws.on('message', (m) => answers.push(JSON.parse(String(m))));
    const end = closed(ws);
    const t0 = performance.now();
    // Longer sleeps first: responses come back out of order.
    for (let i = 0; i < 8; i++)
      ws.send(
        JSON.stringify({
          request_id: `r${i}`,
          parameters: { sleepMs: 400 - i * 40 },
          data: [{ text: `${i}` }],
        }),
      );
    ws.send('{}');
    expect((await end).code).toBe(1000);
    expect(performance.now() - t0).toBeLessThan(1500); // concurrent, not 8 × ~250 ms
    expect(answers.map((x) => x.header.request_id).sort()).toEqual(
      Array.from({ length: 8 }, (_, i) => `r${i}`),
    );
    expect(answers[0].header.request_id).not.toBe('r0');
    for (const x of answers) expect(x.data[0].text).toBe(`${x.header.request_id.slice(1)}S`);
  });

  it('bytes: binary DataRequestProto frames; a single 0x00 ends the input', async () => {
    const g = await gateway({ protocol: 'websocket' });
    const ws = await open(g.port, 'bytes');
    expect(ws.protocol).toBe('bytes');
    const got: Uint8Array[] = [];
    ws.on('message', (m) => got.push(new Uint8Array(m as Buffer)));
    const end = closed(ws);
    const req = createDataRequest({ endpoint: '/index', docs: DocumentArray.empty(2) });
    ws.send(toBinary(DataRequestProtoSchema, req));
    ws.send(Buffer.from([0]));
    expect((await end).code).toBe(1000);
    const res = fromBinary(DataRequestProtoSchema, got[0]!);
    expect(res.header?.requestId).toBe(req.header?.requestId);
    expect(requestDocs(res).texts).toEqual(['AI', 'AI']);
  });

  it('closes 1007 on a malformed frame and 1009 on an oversized one, and keeps serving', async () => {
    const g = await gateway({ protocol: 'websocket', bodyLimit: 2048 });
    const bad = await open(g.port, 'json');
    const c1 = closed(bad);
    bad.send('{"data": 5}');
    expect((await c1).code).toBe(1007);
    const big = await open(g.port, 'bytes');
    const c2 = closed(big);
    big.on('error', () => {});
    big.send(Buffer.alloc(4096, 1));
    expect((await c2).code).toBe(1009);
    const good = await open(g.port, 'json');
    const reply = new Promise<any>((r) => good.once('message', (m) => r(JSON.parse(String(m)))));
    good.send(JSON.stringify({ data: [{ text: 'z' }] }));
    expect((await reply).data[0].text).toBe('zA');
    good.close();
  });
});

describe('gRPC door', () => {
  it('answers Call as responses complete, discovery (union), dry_run, _status and bounds in-flight by prefetch', async () => {
    const g = await startGateway({
      graph: { 'start-gateway': ['s', 'idx'], s: ['end-gateway'], idx: ['end-gateway'] },
      addresses: { s: [slow], idx: [idx] },
      prefetch: 2,
      logger: pino({ level: 'silent' }),
    });
    closers.push(() => g.close(2000));
    const t = createWeftTransport(`http://127.0.0.1:${g.port}`);
    closers.push(() => t.close());
    const endpoints = await createClient(JinaDiscoverEndpointsRPC, t.transport).endpoint_discovery({});
    expect(endpoints.endpoints.sort()).toEqual(['/default', '/index']);
    expect((await createClient(JinaGatewayDryRunRPC, t.transport).dry_run({})).code).toBe(0);
    expect((await createClient(JinaInfoRPC, t.transport)._status({})).jina.weft).toBeDefined();
    const reqs = [300, 300, 300, 300].map((ms) =>
      createDataRequest({ parameters: { sleepMs: ms }, docs: DocumentArray.empty(1) }),
    );
    async function* input() {
      yield* reqs;
    }
    const t0 = performance.now();
    let n = 0;
    for await (const res of createClient(JinaRPC, t.transport).call(input())) {
      expect(requestDocs(res).texts).toEqual(['S']);
      n++;
    }
    const ms = performance.now() - t0;
    expect(n).toBe(4);
    expect(ms).toBeGreaterThan(580); // prefetch 2: two waves of ~300 ms
    expect(ms).toBeLessThan(1100);
  });

  it('reports metrics per door and per deployment on the monitoring port', async () => {
    const g = await gateway({ protocol: ['grpc', 'http', 'websocket'], monitoring: { port: 0 } });
    expect(Object.keys(g.ports)).toEqual(['grpc', 'http', 'websocket']);
    await postJson(g.ports.http!, '/post', { data: [{ text: 'm' }] });
    const t = createWeftTransport(`http://127.0.0.1:${g.ports.grpc}`);
    closers.push(() => t.close());
    const c = createClient(JinaRPC, t.transport);
    async function* one() {
      yield createDataRequest({ docs: DocumentArray.empty(1) });
    }
    for await (const _ of c.call(one())) {
      // drain
    }
    const text = await (await http(g.monitoringPort!, '/metrics')).text();
    expect(text).toMatch(/weft_gateway_requests_total\{door="http",outcome="ok"\} 1/);
    expect(text).toMatch(/weft_gateway_requests_total\{door="grpc",outcome="ok"\} 1/);
    expect(text).toMatch(/weft_gateway_deployment_calls_total\{deployment="a",code="0"\} 2/);
    expect(text).toMatch(/weft_gateway_request_duration_seconds_bucket\{le="\+Inf",door="http"\} 1/);
    expect(text).toMatch(/weft_gateway_received_bytes_total\{door="http"\} \d+/);
    expect(text).toMatch(/weft_gateway_pending_requests\{door="http"\} 0/);
  });
});

describe('closing', () => {
  it('lets in-flight requests finish at every door before closing', async () => {
    const g = await startGateway({
      graph: { 'start-gateway': ['s'], s: ['end-gateway'] },
      addresses: { s: [slow] },
      protocol: ['grpc', 'http', 'websocket'],
      logger: pino({ level: 'silent' }),
    });
    const t = createWeftTransport(`http://127.0.0.1:${g.ports.grpc}`);
    closers.push(() => t.close());
    const ws = new WebSocket(`ws://127.0.0.1:${g.ports.websocket}/`, 'json');
    ws.on('error', () => {});
    const viaWs = new Promise<any>((resolve, reject) => {
      ws.once('open', () => ws.send(JSON.stringify({ parameters: { sleepMs: 800 }, data: [{ text: '' }] })));
      ws.once('message', (m) => resolve(JSON.parse(String(m))));
      ws.once('close', (code) => reject(new Error(`closed ${code} before the answer`)));
    });
    async function* one() {
      yield createDataRequest({ parameters: { sleepMs: 800 }, docs: DocumentArray.empty(1) });
    }
    const viaGrpc = (async () => {
      for await (const res of createClient(JinaRPC, t.transport).call(one())) return requestDocs(res).texts;
    })();
    const viaHttp = postJson(g.ports.http!, '/post', { parameters: { sleepMs: 800 }, data: [{ text: '' }] });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    await g.close(5000);
    // Closed once the answers were out, not at the end of the grace period.
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(await viaGrpc).toEqual(['S']);
    expect((await viaWs).data[0].text).toBe('S');
    const res = await viaHttp;
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).data[0].text).toBe('S');
  });
});
