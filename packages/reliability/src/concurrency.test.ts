// Case 9: many concurrent clients: 2000 WebSocket connections from another process, 500 gRPC streams.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient } from '@connectrpc/connect';
import { createDataRequest, requestDocs } from '@weft/core';
import { createWeftTransport } from '@weft/core/grpc';
import { DocumentArray } from '@weft/docarray';
import { serveExecutor, type Worker } from '@weft/executor-runtime';
import { JinaRPC } from '@weft/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tagger } from './test-fixtures/executors.js';
import { type CliProcess, killAll, procStats, startGatewayProcess } from './test-fixtures/processes.js';

const WS_CLIENTS = 2000;
const GRPC_STREAMS = 500;
const SWARM = fileURLToPath(new URL('./test-fixtures/ws-swarm.mjs', import.meta.url));

let worker: Worker;
let gw: CliProcess;
beforeAll(async () => {
  worker = await serveExecutor({ uses: Tagger, name: 't' });
  gw = await startGatewayProcess({
    graph: { 'start-gateway': ['t'], t: ['end-gateway'] },
    addresses: { t: [`127.0.0.1:${worker.port}`] },
    protocols: ['grpc', 'websocket'],
  });
}, 60_000);
afterAll(async () => {
  await killAll();
  await worker?.close(1000);
});

describe('case 9: many concurrent clients', () => {
  it(`${WS_CLIENTS} WebSocket clients in another process, all connected at once, each get their own answer`, async () => {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [SWARM, `ws://127.0.0.1:${gw.ports.websocket}/`, String(WS_CLIENTS)],
        { timeout: 150_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as {
      opened: number;
      answered: number;
      wrong: number;
      errors: string[];
      openMs: number;
      answerMs: number;
    };
    const gwStats = procStats(gw.pid);
    console.log(
      `[case 9] ${r.opened} WebSockets open in ${r.openMs} ms, ${r.answered} answered in ${r.answerMs} ms; gateway RSS ${(gwStats.rss / 2 ** 20).toFixed(0)} MiB`,
    );
    expect(r.errors).toEqual([]);
    expect(r).toMatchObject({ opened: WS_CLIENTS, answered: WS_CLIENTS, wrong: 0 });
  }, 180_000);

  it(`${GRPC_STREAMS} concurrent gRPC streams (all open before the first request) each get their own answer`, async () => {
    const t = createWeftTransport(`http://127.0.0.1:${gw.ports.grpc}`);
    try {
      const c = createClient(JinaRPC, t.transport);
      let entered = 0;
      let release!: () => void;
      const allOpen = new Promise<void>((r) => (release = r));
      const t0 = performance.now();
      const results = await Promise.all(
        Array.from({ length: GRPC_STREAMS }, async (_, i) => {
          const input = async function* () {
            if (++entered === GRPC_STREAMS) release();
            await allOpen;
            yield createDataRequest({ docs: new DocumentArray([{ id: `g-${i}`, text: 'x' }]) });
          };
          const ids: string[] = [];
          for await (const res of c.call(input(), { timeoutMs: 60_000 }))
            ids.push(...requestDocs(res).map((d) => d.id));
          return ids;
        }),
      );
      const ms = performance.now() - t0;
      console.log(`[case 9] ${GRPC_STREAMS} gRPC streams answered in ${ms.toFixed(0)} ms`);
      expect(entered).toBe(GRPC_STREAMS);
      expect(results).toEqual(Array.from({ length: GRPC_STREAMS }, (_, i) => [`g-${i}`]));
    } finally {
      t.close();
    }
  }, 120_000);
});
