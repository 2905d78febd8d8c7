// Case 3: every replica of a deployment dead.
import { Code } from '@connectrpc/connect';
import { serveExecutor, type Worker } from '@weft/executor-runtime';
import { type Gateway, startGateway } from '@weft/gateway';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { viaGrpc, viaHttp, viaWebSocket } from './test-fixtures/doors.js';
import { Tagger } from './test-fixtures/executors.js';
import { type CliProcess, killAll, startExecutor } from './test-fixtures/processes.js';

let replicas: CliProcess[];
let other: Worker;
let gw: Gateway;
let addresses: string[];
beforeAll(async () => {
  replicas = await Promise.all(
    [0, 1].map((i) => startExecutor('Tagger', { name: 'doomed', runtimeName: `doomed/rep-${i}` })),
  );
  addresses = replicas.map((r) => `127.0.0.1:${r.ports.grpc}`);
  other = await serveExecutor({ uses: Tagger, name: 'healthy' });
  gw = await startGateway({
    graph: { 'start-gateway': ['healthy', 'doomed'], healthy: ['end-gateway'], doomed: ['end-gateway'] },
    addresses: { doomed: addresses, healthy: [`127.0.0.1:${other.port}`] },
    protocol: ['grpc', 'http', 'websocket'],
    logger: pino({ level: 'silent' }),
  });
}, 60_000);
afterAll(async () => {
  await gw?.close(1000);
  await other?.close(1000);
  await killAll();
});

describe('case 3: all replicas of a deployment dead', () => {
  it('each door reports UNAVAILABLE / 503 / 1011 naming the deployment and every address, within the retry budget; other paths keep working', async () => {
    const before = await viaGrpc(gw.ports.grpc!);
    expect(before).toEqual({ ok: true, texts: ['x;'] });
    for (const r of replicas) await r.kill();

    const timed = async <T>(f: () => Promise<T>) => {
      const t0 = performance.now();
      const v = await f();
      return { v, ms: performance.now() - t0 };
    };
    const grpc = await timed(() => viaGrpc(gw.ports.grpc!));
    const http = await timed(() => viaHttp(gw.ports.http!));
    const ws = await timed(() => viaWebSocket(gw.ports.websocket!));
    console.log(
      `[case 3] failed within grpc ${grpc.ms.toFixed(0)} ms, http ${http.ms.toFixed(0)} ms, websocket ${ws.ms.toFixed(0)} ms`,
    );
    expect(grpc.v).toMatchObject({ ok: false, grpcCode: Code.Unavailable });
    expect(http.v).toMatchObject({ ok: false, httpStatus: 503 });
    expect(ws.v).toMatchObject({ ok: false, wsClose: 1011 });
    for (const o of [grpc.v, http.v, ws.v]) {
      const message = (o as { message: string }).message;
      expect(message).toMatch(/deployment 'doomed'/);
      for (const a of addresses) expect(message).toContain(a);
    }
    // Connection refused is immediate: the retry budget (3 attempts) ends in well under the client's deadline.
    for (const t of [grpc, http, ws]) expect(t.ms).toBeLessThan(5000);

    // The gateway keeps serving paths that avoid the dead deployment, at every door (';' = healthy ran).
    expect(await viaGrpc(gw.ports.grpc!, { targetExecutor: 'healthy' })).toEqual({ ok: true, texts: ['x;'] });
    expect(await viaHttp(gw.ports.http!, { targetExecutor: 'healthy' })).toEqual({ ok: true, texts: ['x;'] });
    expect(await viaWebSocket(gw.ports.websocket!, { targetExecutor: 'healthy' })).toEqual({
      ok: true,
      texts: ['x;'],
    });
  }, 60_000);
});
