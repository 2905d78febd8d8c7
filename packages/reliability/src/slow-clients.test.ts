// Case 8: slowloris (headers never finished) and idle connections at every door.
import { connect, type Socket } from 'node:net';
import { serveExecutor, type Worker } from '@weft/executor-runtime';
import { type Gateway, startGateway } from '@weft/gateway';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { viaGrpc, viaHttp, viaWebSocket } from './test-fixtures/doors.js';
import { Tagger } from './test-fixtures/executors.js';

const SLOW = 200;
let worker: Worker;
let gw: Gateway;
const sockets = new Set<Socket>();
beforeAll(async () => {
  worker = await serveExecutor({ uses: Tagger, name: 't' });
  gw = await startGateway({
    graph: { 'start-gateway': ['t'], t: ['end-gateway'] },
    addresses: { t: [`127.0.0.1:${worker.port}`] },
    protocol: ['grpc', 'http', 'websocket'],
    logger: pino({ level: 'silent' }),
  });
}, 30_000);
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await gw?.close(1000);
  await worker?.close(1000);
});

/** Opens a TCP connection that sends `first` and then one more byte of `drip` every `everyMs`, never finishing. */
function slowClient(port: number, first: string, drip: string, everyMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    s.once('connect', () => {
      s.write(first);
      let i = 0;
      const t = setInterval(() => {
        if (s.destroyed) return clearInterval(t);
        s.write(drip[i++ % drip.length]!);
      }, everyMs);
      t.unref();
      resolve(s);
    });
    s.once('error', reject);
  });
}

describe('case 8: slow and idle clients', () => {
  it(`${SLOW} slowloris and idle connections per door do not block normal traffic`, async () => {
    const all = await Promise.all([
      // HTTP: a request line and headers that never end.
      ...Array.from({ length: SLOW }, () =>
        slowClient(gw.ports.http!, 'POST /post HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: 1\r\n', 1000),
      ),
      // WebSocket: an upgrade request that never ends.
      ...Array.from({ length: SLOW }, () =>
        slowClient(
          gw.ports.websocket!,
          'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n',
          'X: 1\r\n',
          1000,
        ),
      ),
      // gRPC: a connection that never sends the HTTP/2 preface, and one that stops halfway through it.
      ...Array.from({ length: SLOW / 2 }, () => slowClient(gw.ports.grpc!, '', '', 60_000)),
      ...Array.from({ length: SLOW / 2 }, () => slowClient(gw.ports.grpc!, 'PRI * HTTP/2.0\r\n', '', 60_000)),
    ]);
    expect(all).toHaveLength(3 * SLOW);
    const t0 = performance.now();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => [
        viaGrpc(gw.ports.grpc!, { timeoutMs: 5000 }),
        viaHttp(gw.ports.http!, { timeoutMs: 5000 }),
        viaWebSocket(gw.ports.websocket!, { timeoutMs: 5000 }),
      ]).flat(),
    );
    const ms = performance.now() - t0;
    console.log(
      `[case 8] 60 normal requests beside ${3 * SLOW} slow connections answered in ${ms.toFixed(0)} ms`,
    );
    for (const r of results) expect(r).toEqual({ ok: true, texts: ['x;'] });
    expect(ms).toBeLessThan(5000);
    const stillOpen = [...sockets].length;
    console.log(`[case 8] ${stillOpen} of ${3 * SLOW} slow connections still open after ${ms.toFixed(0)} ms`);
  }, 60_000);
});
