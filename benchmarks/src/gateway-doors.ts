// Benchmark: the gateway's three doors beside baselines measured in the same run.
//  1. gRPC: client → gateway → 1 no-op executor, vs the raw connect-node two-hop echo chain
//     (client → A → B echo, raw-echo-server.ts).
//  2. HTTP: the gateway's HTTP door, vs a plain fastify JSON proxy in front of the same executor.
//  3. WebSocket: the gateway's json door, 32 requests in flight on one connection.
//  4. Added p50 latency per extra deployment in a chain (gRPC, concurrency 1, chains of 1–4).
// 32-doc requests, 512-dim float32 embeddings, concurrency 32, every server in its own process.
// Run: npx tsx benchmarks/src/gateway-doors.ts   (BENCH_MS sets the measuring time per point)
import type { ChildProcess } from 'node:child_process';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { createWeftTransport } from '@weft/core/grpc';
import { JinaSingleDataRequestRPC } from '@weft/proto';
import WebSocket from 'ws';
import { forkScript, freePort } from './children.js';
import { httpDoorClient } from './http-door-client.js';
import { fmt, type LoadResult, runLoad } from './load.js';
import { makeDocs, makeRequest } from './payload.js';

const durationMs = Number(process.env.BENCH_MS ?? 4000);
const start = (script: string, args: string[]) => forkScript<any>(script, args);

function stop(...cs: { child: ChildProcess }[]) {
  for (const c of cs) c.child.kill('SIGTERM');
}

const line = (label: string, r: LoadResult) => console.log(`${label.padEnd(40)} ${fmt(r)}`);

function grpcSend(port: number) {
  const t = createWeftTransport(`http://127.0.0.1:${port}`);
  const client = createClient(JinaSingleDataRequestRPC, t.transport);
  const req = makeRequest(32, 512);
  return { send: () => client.process_single_data(req), close: () => t.close() };
}

// Every server runs at once; the points are measured in alternating rounds so that a change in
// the machine's load hits baselines and Weft alike.
const [pa, pb] = [await freePort(), await freePort()];
const rawB = await start('./raw-echo-server.ts', [String(pb), 'echo']);
const rawA = await start('./raw-echo-server.ts', [String(pa), 'chain', `127.0.0.1:${pb}`]);
const exec = await start('./gateway-roles.ts', ['executor', '0']);
const pe = exec.msg.port as number;
const gw = await start('./gateway-roles.ts', [
  'gateway',
  JSON.stringify({
    graph: { 'start-gateway': ['noop'], noop: ['end-gateway'] },
    addresses: { noop: [`127.0.0.1:${pe}`] },
    protocol: ['grpc', 'http', 'websocket'],
  }),
]);
const proxy = await start('./gateway-roles.ts', ['fastify-proxy', '0', `127.0.0.1:${pe}`]);
const pf = proxy.msg.port as number;
const ports = gw.msg.ports as { grpc: number; http: number; websocket: number };

// 1. gRPC: the raw chain is called the way its own benchmark calls it (connect-node transport).
const rawClient = createClient(
  JinaSingleDataRequestRPC,
  createGrpcTransport({ baseUrl: `http://127.0.0.1:${pa}`, acceptCompression: [] }),
);
const rawReq = makeRequest(32, 512);
const weftGrpc = grpcSend(ports.grpc);

// 2. HTTP: same JSON body to the plain fastify proxy and to the HTTP door.
const http = httpDoorClient();
const httpSend = http.send;

// 3. WebSocket door: requests spread over `n` connections (many in flight on each).
async function wsClient(n: number) {
  const conns: WebSocket[] = [];
  const waiting = new Map<string, () => void>();
  for (let i = 0; i < n; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${ports.websocket}/`, 'json');
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
    ws.on('message', (m) => {
      const id = /"request_id":"([0-9a-z-]+)"/.exec((m as Buffer).subarray(0, 200).toString())?.[1];
      const w = id ? waiting.get(id) : undefined;
      if (w) {
        waiting.delete(id!);
        w();
      }
    });
    conns.push(ws);
  }
  // The frame is serialized once, like the HTTP body: only the request id changes per request.
  const tail = JSON.stringify({ data: makeDocs(32, 512).toJSON() }).slice(1);
  let k = 0;
  const send = () =>
    new Promise<void>((resolve) => {
      const id = `r${k++}`;
      waiting.set(id, resolve);
      conns[k % n]!.send(`{"request_id":"${id}",${tail}`);
    });
  return {
    send,
    close: () => {
      for (const c of conns) c.close();
    },
  };
}
const ws1 = await wsClient(1);
const ws4 = await wsClient(4);

const points: [string, string, () => Promise<unknown>][] = [
  ['raw', 'raw connect-node two-hop chain', () => rawClient.process_single_data(rawReq)],
  ['grpc', 'weft gateway gRPC door + 1 executor', weftGrpc.send],
  ['fastify', 'plain fastify JSON proxy + executor', httpSend(pf)],
  ['http', 'weft gateway HTTP door + executor', httpSend(ports.http)],
  ['websocket', 'weft gateway WebSocket door (1 conn)', ws1.send],
  ['websocket4', 'weft gateway WebSocket door (4 conns)', ws4.send],
];
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const results: Record<string, LoadResult> = {};
for (let round = 1; round <= rounds; round++) {
  for (const [key, label, send] of points) {
    const r = await runLoad(send, { concurrency: 32, durationMs });
    line(`${label}, c=32, round ${round}`, r);
    const prev = results[key];
    results[key] = prev
      ? {
          requests: prev.requests + r.requests,
          seconds: prev.seconds + r.seconds,
          rps: (prev.requests + r.requests) / (prev.seconds + r.seconds),
          p50ms: (prev.p50ms + r.p50ms) / 2,
          p99ms: Math.max(prev.p99ms, r.p99ms),
        }
      : r;
  }
}
ws1.close();
ws4.close();
weftGrpc.close();
await http.close();
stop(rawA, rawB, proxy, gw);

// 4. Added latency per deployment in a chain
const chainP50: number[] = [];
{
  const execs = [exec];
  const addrs = [`127.0.0.1:${pe}`];
  for (let i = 1; i < 4; i++) {
    const e = await start('./gateway-roles.ts', ['executor', '0']);
    execs.push(e);
    addrs.push(`127.0.0.1:${e.msg.port}`);
  }
  for (let n = 1; n <= 4; n++) {
    const names = Array.from({ length: n }, (_, i) => `e${i}`);
    const graph: Record<string, string[]> = { 'start-gateway': ['e0'] };
    names.forEach((x, i) => {
      graph[x] = [names[i + 1] ?? 'end-gateway'];
    });
    const g = await start('./gateway-roles.ts', [
      'gateway',
      JSON.stringify({ graph, addresses: Object.fromEntries(names.map((x, i) => [x, [addrs[i]]])) }),
    ]);
    const c = grpcSend(g.msg.port);
    const r = await runLoad(c.send, { concurrency: 1, durationMs: Math.max(1500, durationMs / 2) });
    chainP50.push(r.p50ms);
    line(`chain of ${n} deployment(s), c=1`, r);
    c.close();
    stop(g);
  }
  stop(...execs);
}

console.log('');
console.log(
  `gRPC door / raw two-hop chain:  ${(results.grpc!.rps / results.raw!.rps).toFixed(2)} (target ≥ 0.7)`,
);
console.log(
  `HTTP door / fastify proxy:      ${(results.http!.rps / results.fastify!.rps).toFixed(2)} (target ≥ 0.7)`,
);
console.log(
  `WebSocket door / HTTP door:     ${(results.websocket!.rps / results.http!.rps).toFixed(2)} (target ≥ 1)`,
);
const added = (chainP50[3]! - chainP50[0]!) / 3;
console.log(
  `added p50 per extra deployment: ${added.toFixed(2)} ms (chain p50s ${chainP50.map((x) => x.toFixed(2)).join(', ')} ms)`,
);
process.exit(0);
