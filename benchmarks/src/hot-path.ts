// Benchmark: Weft's request hot path against the HTTP/2 floor (plain node:http2, gRPC framing,
// pre-encoded bytes), every server in its own process, one raw HTTP/2 client, same run.
// Run: npx tsx benchmarks/src/hot-path.ts
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { toBinary } from '@bufbuild/protobuf';
import { Flow } from '@weft/orchestrator';
import { DataRequestProtoSchema } from '@weft/proto';
import { NoOp } from './noop-executor.js';
import { BarExec, FooExec } from './executors.js';
import { FloorClient, frame } from './h2-floor.js';
import { fmt, type LoadResult, runLoad } from './load.js';
import { makeRequest } from './payload.js';

const durationMs = Number(process.env.BENCH_MS ?? 4000);
const children: ChildProcess[] = [];

async function floorServer(kind: 'echo' | 'decode' | 'forward', next?: number): Promise<number> {
  const c = fork(fileURLToPath(new URL('./floor-server.ts', import.meta.url)), [kind, String(next ?? '')], {
    stdio: 'inherit',
  });
  children.push(c);
  const msg = await new Promise<{ port: number }>((r) => c.once('message', r as (m: unknown) => void));
  return msg.port;
}

const framed = frame(toBinary(DataRequestProtoSchema, makeRequest(32, 512)));

async function measure(label: string, port: number): Promise<Record<number, LoadResult>> {
  const client = new FloorClient(port);
  const out: Record<number, LoadResult> = {};
  for (const concurrency of [1, 32]) {
    out[concurrency] = await runLoad(() => client.call(framed), { concurrency, durationMs });
    console.log(`${label.padEnd(40)} c=${String(concurrency).padEnd(3)} ${fmt(out[concurrency]!)}`);
  }
  client.close();
  return out;
}

const oneHop = await measure('floor: 1 hop echo', await floorServer('echo'));
const twoHop = await measure('floor: 2 hops echo', await floorServer('forward', await floorServer('echo')));
const twoHopDecode = await measure(
  'floor: 2 hops, last decodes+encodes',
  await floorServer('forward', await floorServer('decode')),
);
const threeHop = await measure(
  'floor: 3 hops echo',
  await floorServer('forward', await floorServer('forward', await floorServer('echo'))),
);
for (const c of children) c.kill();

const one = new Flow().add({ uses: NoOp });
await one.start();
const weftOne = await measure('weft: gateway + 1 no-op executor', one.port!);
await one.close();

const seed = new Flow().add({ uses: FooExec }).add({ uses: BarExec });
await seed.start();
const weftSeed = await measure('weft: seed chain (gateway + 2)', seed.port!);
await seed.close();

const r = (a: LoadResult, b: LoadResult) => (a.rps / b.rps).toFixed(2);
console.log('');
console.log(
  `gateway + 1 no-op / floor 2 hops          c=32: ${r(weftOne[32]!, twoHop[32]!)}   (c=1 p50 +${(weftOne[1]!.p50ms - twoHop[1]!.p50ms).toFixed(2)} ms)`,
);
console.log(`gateway + 1 no-op / floor 2 hops + decode c=32: ${r(weftOne[32]!, twoHopDecode[32]!)}`);
console.log(`seed chain / floor 3 hops                 c=32: ${r(weftSeed[32]!, threeHop[32]!)}`);
console.log(`(floor 1 hop c=32: ${oneHop[32]!.rps.toFixed(0)} req/s)`);
process.exit(0);
