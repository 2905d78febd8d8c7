// Limits at the gateway's doors (cases 7/8, backpressure): slow and idle clients are cut off within
// the configured timeouts, connections and in-flight requests are capped, and the defaults are on.
import * as http2 from 'node:http2';
import { connect, type Socket } from 'node:net';
import { Code } from '@connectrpc/connect';
import { Client, TransportError } from '@weft/client';
import { serveExecutor, type Worker } from '@weft/executor-runtime';
import { DEFAULT_LIMITS, type Gateway, type GatewayLimits, startGateway } from '@weft/gateway';
import pino from 'pino';
import { fetch } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FaultProxy } from './fault-proxy.js';
import { viaGrpc, viaHttp, viaWebSocket } from './test-fixtures/doors.js';
import { Sleeper } from './test-fixtures/executors.js';
import { sleep } from './test-fixtures/processes.js';

let worker: Worker;
const gateways: Gateway[] = [];
const sockets = new Set<Socket>();
beforeAll(async () => {
  worker = await serveExecutor({ uses: Sleeper, name: 's', allowConcurrent: true });
}, 30_000);
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  for (const g of gateways.splice(0)) await g.close(1000);
});
afterAll(async () => {
  await worker?.close(1000);
});

async function gateway(limits?: GatewayLimits): Promise<Gateway> {
  const gw = await startGateway({
    graph: { 'start-gateway': ['s'], s: ['end-gateway'] },
    addresses: { s: [`127.0.0.1:${worker.port}`] },
    protocol: ['grpc', 'http', 'websocket'],
    limits,
    logger: pino({ level: 'silent' }),
  });
  gateways.push(gw);
  return gw;
}

/** A raw TCP client that sends `first`, then a byte of `drip` every second; resolves with how long until the server closed it. */
function slow(port: number, first: string, drip = ''): Promise<{ closedAfterMs: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s = connect(port, '127.0.0.1');
    sockets.add(s);
    s.on('error', () => {});
    s.on('data', () => {});
    s.once('connect', () => s.write(first));
    const t = setInterval(() => drip && !s.destroyed && s.write(drip), 1000);
    s.once('close', () => {
      clearInterval(t);
      sockets.delete(s);
      resolve({ closedAfterMs: performance.now() - t0 });
    });
  });
}

describe('gateway limits', () => {
  it('every limit is on by default with the documented values', () => {
    expect(DEFAULT_LIMITS).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 300_000,
      idleTimeoutMs: 120_000,
      maxConnections: 10_000,
      maxConcurrentStreams: 1000,
      maxInFlight: 10_000,
      maxRequestsPerConnection: 1000,
      maxWebSocketConnections: 5000,
    });
  });

  it('bad limits are refused naming the limit', async () => {
    await expect(gateway({ headersTimeoutMs: 0 })).rejects.toThrow(
      /limits.headersTimeoutMs: 0 is not a positive integer/,
    );
    await expect(gateway({ requestTimeoutMs: 5, headersTimeoutMs: 10 })).rejects.toThrow(/requestTimeoutMs/);
  });

  it('case 8: slowloris and idle connections are cut off within the configured timeouts at every door; with defaults within 10 s', async () => {
    const gw = await gateway({ headersTimeoutMs: 2000, idleTimeoutMs: 3000 });
    const dflt = await gateway();
    const header = 'POST /post HTTP/1.1\r\nHost: 127.0.0.1\r\n';
    const upgrade = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n';
    const idleWs = new Promise<{ code: number; ms: number }>((resolve) => {
      const t0 = performance.now();
      const s = new WebSocket(`ws://127.0.0.1:${gw.ports.websocket}/`, 'json');
      s.on('error', () => {});
      s.on('close', (code) => resolve({ code, ms: performance.now() - t0 }));
    });
    const idleGrpc = new Promise<number>((resolve) => {
      const t0 = performance.now();
      const s = http2.connect(`http://127.0.0.1:${gw.ports.grpc}`);
      s.on('error', () => {});
      s.on('connect', () => {
        // One finished request, then silence: the session is idle.
        const r = s.request({
          ':method': 'POST',
          ':path': '/grpc.health.v1.Health/Check',
          'content-type': 'application/grpc',
          te: 'trailers',
        });
        r.on('data', () => {});
        r.on('error', () => {});
        r.end(Buffer.from([0, 0, 0, 0, 0]));
      });
      s.on('close', () => resolve(performance.now() - t0));
    });
    const [httpSlow, wsSlow, grpcNoPreface, grpcHalfPreface, ws, grpcIdle, httpDefault] = await Promise.all([
      slow(gw.ports.http!, header, 'X'),
      slow(gw.ports.websocket!, upgrade, 'X'),
      slow(gw.ports.grpc!, ''),
      slow(gw.ports.grpc!, 'PRI * HTTP/2.0\r\n'),
      idleWs,
      idleGrpc,
      slow(dflt.ports.http!, header, 'X'),
    ]);
    console.log(
      `[case 8] cut off after: HTTP slowloris ${httpSlow.closedAfterMs.toFixed(0)} ms, WebSocket upgrade ${wsSlow.closedAfterMs.toFixed(0)} ms, ` +
        `gRPC no preface ${grpcNoPreface.closedAfterMs.toFixed(0)} ms, half preface ${grpcHalfPreface.closedAfterMs.toFixed(0)} ms (headersTimeoutMs 2000); ` +
        `idle WebSocket ${ws.ms.toFixed(0)} ms (close ${ws.code}), idle gRPC session ${grpcIdle.toFixed(0)} ms (idleTimeoutMs 3000); HTTP slowloris with defaults ${httpDefault.closedAfterMs.toFixed(0)} ms`,
    );
    for (const c of [httpSlow, wsSlow, grpcNoPreface, grpcHalfPreface]) {
      expect(c.closedAfterMs).toBeGreaterThanOrEqual(1900);
      expect(c.closedAfterMs).toBeLessThan(4500);
    }
    expect(ws.code).toBe(1001);
    expect(ws.ms).toBeGreaterThanOrEqual(2900);
    expect(ws.ms).toBeLessThan(5000);
    expect(grpcIdle).toBeGreaterThanOrEqual(2900);
    expect(grpcIdle).toBeLessThan(6000);
    expect(httpDefault.closedAfterMs).toBeGreaterThanOrEqual(9900);
    expect(httpDefault.closedAfterMs).toBeLessThan(12_500);
  }, 30_000);

  it('connections beyond maxConnections are closed at once; the door serves again when they go', async () => {
    const gw = await gateway({ maxConnections: 20 });
    const held = await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<Socket>((resolve) => {
            const s = connect(gw.ports.http!, '127.0.0.1');
            sockets.add(s);
            s.on('error', () => {});
            s.once('connect', () => resolve(s));
          }),
      ),
    );
    await sleep(100);
    const extra = await slow(gw.ports.http!, '');
    console.log(
      `[limits] connection 21 of maxConnections 20 closed after ${extra.closedAfterMs.toFixed(0)} ms`,
    );
    expect(extra.closedAfterMs).toBeLessThan(1000);
    for (const s of held) s.destroy();
    await sleep(100);
    expect(await viaHttp(gw.ports.http!, { timeoutMs: 5000 })).toMatchObject({ ok: true });
  });

  it('gRPC connections advertise maxConcurrentStreams', async () => {
    const gw = await gateway({ maxConcurrentStreams: 16 });
    const s = http2.connect(`http://127.0.0.1:${gw.ports.grpc}`);
    s.on('error', () => {});
    const settings = await new Promise<http2.Settings>((resolve) => s.once('remoteSettings', resolve));
    s.destroy();
    expect(settings.maxConcurrentStreams).toBe(16);
  });

  it('backpressure: past maxInFlight, requests get RESOURCE_EXHAUSTED / 429 / close 1013 at once; the admitted ones finish', async () => {
    const gw = await gateway({ maxInFlight: 8 });
    const body = { sleepMs: 3000 };
    const t0 = performance.now();
    let admittedDone = 0;
    const admitted = Array.from({ length: 8 }, () =>
      fetch(`http://127.0.0.1:${gw.ports.http}/post`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: [{ text: 'x' }], parameters: body }),
        signal: AbortSignal.timeout(15_000),
      }).then((r) => {
        admittedDone++;
        return r.status;
      }),
    );
    await sleep(300);
    const [g, h, w] = await Promise.all([
      viaGrpc(gw.ports.grpc!, { timeoutMs: 5000 }),
      viaHttp(gw.ports.http!, { timeoutMs: 5000 }),
      viaWebSocket(gw.ports.websocket!, { timeoutMs: 5000 }),
    ]);
    const refusedMs = performance.now() - t0;
    const doneAtRefusal = admittedDone;
    expect(g).toMatchObject({ ok: false, grpcCode: Code.ResourceExhausted, message: /maxInFlight/ });
    expect(h).toMatchObject({ ok: false, httpStatus: 429, message: /maxInFlight/ });
    expect(w).toMatchObject({ ok: false, wsClose: 1013, message: /maxInFlight/ });
    expect(doneAtRefusal).toBe(0); // refused at once, while the admitted ones still sleep
    expect(await Promise.all(admitted)).toEqual(Array(8).fill(200));
    expect(await viaHttp(gw.ports.http!, { timeoutMs: 5000 })).toMatchObject({ ok: true });
    console.log(`[limits] past maxInFlight=8: refused within ${refusedMs.toFixed(0)} ms at every door`);
  }, 30_000);

  it('HTTP keep-alive: a connection carries maxRequestsPerConnection requests, the last says connection: close and the gateway closes it; clients reconnect', async () => {
    const gw = await gateway({ maxRequestsPerConnection: 3 });
    // One raw connection, one request after the other (GET / answers `{}`).
    const t0 = performance.now();
    const exchange = await new Promise<{ answers: string[]; closedAfterMs: number }>((resolve) => {
      const s = connect(gw.ports.http!, '127.0.0.1');
      sockets.add(s);
      let buf = '';
      let sent = 0;
      const send = () => {
        sent++;
        s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      };
      s.on('error', () => {});
      s.once('connect', send);
      s.on('data', (d) => {
        buf += d;
        const answered = buf.split('HTTP/1.1 ').length - 1;
        if (answered === sent && buf.endsWith('{}') && sent < 5) send();
      });
      s.once('close', () =>
        resolve({
          answers: buf
            .split('HTTP/1.1 ')
            .slice(1)
            .map((a) => `${a.slice(0, 3)} ${/^connection: (.*)$/im.exec(a)?.[1]}`),
          closedAfterMs: performance.now() - t0,
        }),
      );
    });
    // Through a counting proxy: 10 requests of @weft/client, one after the other, need ceil(10 / 3)
    // connections (the client keeps reusing connections after one was closed).
    const proxy = await FaultProxy.start({ port: gw.ports.http! });
    const client = new Client({ port: proxy.port, protocol: 'http' });
    let texts: string[];
    try {
      const docs = Array.from({ length: 10 }, (_, i) => ({ text: `k${i}` }));
      texts = (await client.post('/', docs, { requestSize: 1, prefetch: 1, parameters: { sleepMs: 1 } }))
        .texts;
    } finally {
      client.close();
      await proxy.close();
    }
    console.log(
      `[limits] maxRequestsPerConnection 3: answers on one connection ${JSON.stringify(exchange.answers)}, closed after ${exchange.closedAfterMs.toFixed(0)} ms; 10 requests of @weft/client used ${proxy.stats.accepted} connections`,
    );
    expect(exchange.answers).toEqual(['200 keep-alive', '200 keep-alive', '200 close']);
    expect(exchange.closedAfterMs).toBeLessThan(2000); // node alone would wait for the keep-alive timeout (72 s)
    expect(texts).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}`));
    expect(proxy.stats.accepted).toBe(4);
  });

  it('WebSocket: past maxWebSocketConnections an upgrade is closed at once with 1013 naming the limit; open ones keep working; a freed slot is taken again', async () => {
    const gw = await gateway({ maxWebSocketConnections: 5, maxConnections: 20 });
    const port = gw.ports.websocket!;
    const held = await Promise.all(
      Array.from(
        { length: 5 },
        () =>
          new Promise<WebSocket>((resolve, reject) => {
            const ws = new WebSocket(`ws://127.0.0.1:${port}/`, 'json');
            ws.on('error', reject);
            ws.once('open', () => resolve(ws));
          }),
      ),
    );
    const t0 = performance.now();
    const refused = await Promise.all(
      Array.from({ length: 10 }, () => viaWebSocket(port, { timeoutMs: 5000 })),
    );
    const refusedMs = performance.now() - t0;
    // A flooding client that never answers the closing handshake loses its connection after 1 s.
    const silent = await slow(
      port,
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: json\r\n\r\n',
    );
    // The Weft client reports it as a retryable UNAVAILABLE that names the limit.
    const client = new Client({ port, protocol: 'websocket' });
    const clientErr = await client.post('/', [{ text: 'x' }]).catch((e: unknown) => e);
    client.close();
    // The open ones still answer.
    const answers = await Promise.all(
      held.map(
        (ws) =>
          new Promise<string>((resolve) => {
            ws.once('message', (m) => resolve(JSON.parse(String(m)).data[0].text));
            ws.send(JSON.stringify({ data: [{ text: 'held' }], parameters: { sleepMs: 1 } }));
          }),
      ),
    );
    held[0]!.close(1000);
    await sleep(200);
    const again = await viaWebSocket(port, { timeoutMs: 5000 });
    for (const ws of held) ws.close(1000);
    console.log(
      `[limits] maxWebSocketConnections 5: 10 more upgrades closed ${JSON.stringify([...new Set(refused.map((r) => (r.ok ? 'ok' : r.wsClose)))])} within ${refusedMs.toFixed(0)} ms ("${refused[0]!.ok ? '' : refused[0]!.message}"), a silent one cut after ${silent.closedAfterMs.toFixed(0)} ms; client: ${(clientErr as Error).message}`,
    );
    for (const r of refused) {
      expect(r).toMatchObject({ ok: false, wsClose: 1013, message: /limits\.maxWebSocketConnections/ });
    }
    expect(refusedMs).toBeLessThan(2000);
    expect(silent.closedAfterMs).toBeGreaterThanOrEqual(900);
    expect(silent.closedAfterMs).toBeLessThan(3000);
    expect(clientErr).toBeInstanceOf(TransportError);
    expect(clientErr).toMatchObject({ code: Code.Unavailable, retryable: true });
    expect((clientErr as Error).message).toMatch(/1013.*limits\.maxWebSocketConnections/);
    expect(answers).toEqual(Array(5).fill('held'));
    expect(again).toMatchObject({ ok: true });
  });
});
