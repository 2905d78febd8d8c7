// Benchmark: Weft's request hot path against the HTTP/2 floor (plain node:http2, gRPC framing,
// pre-encoded bytes), every server in its own process, same payload (32 docs × 512-d float32).
// Every server runs at once and the points are measured in alternating rounds, so that a change
// in the machine's load hits floor and Weft alike; each ratio is the median of its rounds.
//  - gateway + 1 no-op executor (gRPC door) / floor two hops, at concurrency 32 and 1 (p50)
//  - seed chain (gateway + 2 executors) / floor three hops, at concurrency 32
//  - HTTP door (JSON) and WebSocket door (bytes subprotocol) / gRPC door, on a second Flow that
//    serves all three doors
//  - peak RSS of every gateway and executor during its Flow's points
// Run: npx tsx benchmarks/src/hot-path.ts   (BENCH_MS per point, BENCH_ROUNDS rounds)
import { readFileSync } from 'node:fs';
import { create, toBinary } from '@bufbuild/protobuf';
import { decodeDataRequest, splitDataRequest, encodeFrame } from '@weft/core/grpc';
import { Flow } from '@weft/orchestrator';
import { DataRequestProtoSchema } from '@weft/proto';
import WebSocket from 'ws';
import { forkScript } from './children.js';
import { importCompiled } from './compiled.js';
import { FloorClient } from './h2-floor.js';
import { httpDoorClient } from './http-door-client.js';
import { fmt, type LoadResult, runLoad } from './load.js';
import { makeRequest } from './payload.js';

const durationMs = Number(process.env.BENCH_MS ?? 3000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const floorServer = async (kind: 'echo' | 'decode' | 'forward', next?: number) =>
  (await forkScript<{ port: number }>('./floor-server.ts', [kind, String(next ?? '')])).msg.port;

const request32 = makeRequest(32, 512);
const framed = encodeFrame(toBinary(DataRequestProtoSchema, request32));
const grpcClient = (port: number) => {
  const c = new FloorClient(port);
  return { send: () => c.call(framed), close: () => c.close() };
};

// The HTTP door: the JSON body is serialized once; the door parses it and answers JSON.
const http = httpDoorClient();

// The WebSocket door, bytes subprotocol: DataRequestProto frames on one connection, many in
// flight, matched by request id. Only the small head is encoded per request.
async function wsBytes(port: number) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, 'bytes');
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  const waiting = new Map<string, () => void>();
  ws.on('message', (m) => {
    const id = decodeDataRequest(m as Buffer).header?.requestId ?? '';
    const w = waiting.get(id);
    waiting.delete(id);
    w?.();
  });
  const data = splitDataRequest(toBinary(DataRequestProtoSchema, request32)).data;
  let k = 0;
  const send = () =>
    new Promise<void>((resolve) => {
      const id = `r${k++}`;
      waiting.set(id, resolve);
      const head = toBinary(
        DataRequestProtoSchema,
        create(DataRequestProtoSchema, { header: { requestId: id, execEndpoint: '/' } }),
      );
      ws.send(Buffer.concat([head, data]));
    });
  return { send, close: () => ws.close() };
}

/** Peak RSS (MiB) of the watched processes, per process and per point being measured. */
class RssWatch {
  /** process → point → peak MiB */
  readonly peak = new Map<string, Map<string, number>>();
  point = '';
  #timer: NodeJS.Timeout | undefined;
  start(pids: Record<string, number | undefined>) {
    this.#timer = setInterval(() => {
      for (const [name, pid] of Object.entries(pids)) {
        if (pid === undefined) continue;
        try {
          const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
          const byPoint = this.peak.get(name) ?? new Map<string, number>();
          this.peak.set(name, byPoint);
          byPoint.set(this.point, Math.max(byPoint.get(this.point) ?? 0, kb / 1024));
        } catch {
          // process gone or no /proc: not measured
        }
      }
    }, 100);
  }
  stop() {
    clearInterval(this.#timer);
  }
}

// Floors: 2 hops, 2 hops whose last decodes+encodes, 3 hops.
const floor2 = grpcClient(await floorServer('forward', await floorServer('echo')));
const floor2d = grpcClient(await floorServer('forward', await floorServer('decode')));
const floor3 = grpcClient(
  await floorServer('forward', await floorServer('forward', await floorServer('echo'))),
);

// Executors as deployed: compiled to JavaScript (see compiled.ts).
const { NoOp } = await importCompiled<typeof import('./noop-executor.js')>('noop-executor');
const { FooExec, BarExec } = await importCompiled<typeof import('./executors.js')>('executors');
const one = new Flow().add({ uses: NoOp });
await one.start();
const doors = new Flow({ protocol: ['grpc', 'http', 'websocket'] }).add({ uses: NoOp });
await doors.start();
const seed = new Flow().add({ uses: FooExec }).add({ uses: BarExec });
await seed.start();
const doorPort = (f: Flow, p: string) => f.doors.find((d) => d.protocol === p)!.port;
const weftOne = grpcClient(one.port!);
const doorsGrpc = grpcClient(doorPort(doors, 'grpc'));
const weftSeed = grpcClient(seed.port!);
const ws = await wsBytes(doorPort(doors, 'websocket'));
const pids = (f: Flow, prefix: string) =>
  Object.fromEntries(f.describe().map((r) => [`${prefix} ${r.kind} ${r.name}`, r.pid]));
const rss = new RssWatch();
rss.start({ ...pids(one, 'no-op:'), ...pids(doors, '3 doors:'), ...pids(seed, 'seed:') });

type Key = 'floor2' | 'floor2d' | 'floor3' | 'one' | 'seed' | 'doors' | 'http' | 'ws' | 'floor2c1' | 'onec1';
const points: [Key, string, () => Promise<unknown>, number][] = [
  ['floor2', 'floor: 2 hops echo', floor2.send, 32],
  ['one', 'weft: gateway + 1 no-op (gRPC door)', weftOne.send, 32],
  ['floor2d', 'floor: 2 hops, last decodes+encodes', floor2d.send, 32],
  ['floor3', 'floor: 3 hops echo', floor3.send, 32],
  ['seed', 'weft: seed chain (gateway + 2)', weftSeed.send, 32],
  ['doors', 'weft: 3-door Flow, gRPC door', doorsGrpc.send, 32],
  ['ws', 'weft: 3-door Flow, WebSocket door (bytes)', ws.send, 32],
  ['http', 'weft: 3-door Flow, HTTP door (JSON)', http.send(doorPort(doors, 'http')), 32],
  ['floor2c1', 'floor: 2 hops echo', floor2.send, 1],
  ['onec1', 'weft: gateway + 1 no-op (gRPC door)', weftOne.send, 1],
];
const results: Partial<Record<Key, LoadResult>>[] = [];
for (let round = 1; round <= rounds; round++) {
  const r: Partial<Record<Key, LoadResult>> = {};
  for (const [key, label, send, concurrency] of points) {
    rss.point = `${key}@${round}`;
    r[key] = await runLoad(send, { concurrency, durationMs });
    console.log(`${`${label}, c=${concurrency}`.padEnd(48)} round ${round}  ${fmt(r[key]!)}`);
  }
  results.push(r);
}
rss.stop();
for (const c of [floor2, floor2d, floor3, weftOne, doorsGrpc, weftSeed, ws]) c.close();
await http.close();
await one.close();
await doors.close();
await seed.close();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ratio = (a: Key, b: Key) => median(results.map((r) => r[a]!.rps / r[b]!.rps));
const addedP50 = median(results.map((r) => r.onec1!.p50ms - r.floor2c1!.p50ms));
const f2 = (x: number) => x.toFixed(2);
console.log('');
console.log(`median of ${rounds} rounds:`);
console.log(`gateway + 1 no-op / floor 2 hops           c=32: ${f2(ratio('one', 'floor2'))}  (target ≥ 0.6)`);
console.log(
  `gateway + 1 no-op c=1 p50 - floor 2 hops p50:    +${f2(addedP50)} ms  (target ≤ 0.5 ms; floor p50 ${f2(median(results.map((r) => r.floor2c1!.p50ms)))} ms)`,
);
console.log(`gateway + 1 no-op / floor 2 hops + decode  c=32: ${f2(ratio('one', 'floor2d'))}`);
console.log(
  `seed chain / floor 3 hops                  c=32: ${f2(ratio('seed', 'floor3'))}  (target ≥ 0.5)`,
);
console.log(`WebSocket door (bytes) / gRPC door         c=32: ${f2(ratio('ws', 'doors'))}  (target ≥ 0.8)`);
console.log(`HTTP door (JSON) / gRPC door               c=32: ${f2(ratio('http', 'doors'))}`);
// "Under that load": the gRPC points at c=32 (the no-op and seed Flows); the 3-door Flow beside,
// per door, in round 1 (before its HTTP door parsed JSON bodies: the heap V8 grows for those stays).
console.log('peak RSS, MiB (target < 150 each under the gRPC load of the no-op and seed Flows):');
const cols: [string, Key][] = [
  ['gRPC c=32', 'one'],
  ['seed c=32', 'seed'],
  ['3 doors: gRPC', 'doors'],
  ['WebSocket', 'ws'],
  ['HTTP JSON', 'http'],
];
console.log(`  ${'process'.padEnd(36)}${cols.map(([c]) => c.padStart(15)).join('')}`);
for (const [name, byPoint] of rss.peak) {
  const at = (k: Key) => (byPoint.get(`${k}@1`)?.toFixed(0) ?? '-').padStart(15);
  const mine = (k: Key) =>
    name.startsWith('no-op')
      ? k === 'one'
      : name.startsWith('seed')
        ? k === 'seed'
        : ['doors', 'ws', 'http'].includes(k);
  console.log(`  ${name.padEnd(36)}${cols.map(([, k]) => (mine(k) ? at(k) : '-'.padStart(15))).join('')}`);
}
process.exit(0);
