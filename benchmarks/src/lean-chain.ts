// Benchmark: the lean gRPC layer against the HTTP/2 floor (plain node:http2, gRPC framing,
// pre-encoded bytes) in the same run, one hop and two hops, every server in its own process and
// the same raw HTTP/2 client for all. Two hops = client → forwarder → echo; the lean forwarder
// passes the request bytes on untouched with createLeanClient. Weft's connect-node settings
// (startGrpcServer + createWeftTransport, decoding and re-encoding) run beside them as "before".
// Run: npx tsx benchmarks/src/lean-chain.ts   (BENCH_MS per point, default 4000)
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { toBinary } from '@bufbuild/protobuf';
import { DataRequestProtoSchema } from '@weft/proto';
import { FloorClient, frame } from './h2-floor.js';
import { fmt, type LoadResult, runLoad } from './load.js';
import { makeRequest } from './payload.js';

const durationMs = Number(process.env.BENCH_MS ?? 4000);
const children: ChildProcess[] = [];

async function start(script: string, args: string[]): Promise<number> {
  const c = fork(fileURLToPath(new URL(script, import.meta.url)), args, { stdio: 'inherit' });
  children.push(c);
  const msg = await new Promise<{ port: number }>((r) => c.once('message', r as (m: unknown) => void));
  return msg.port;
}
const floor = (role: 'echo' | 'forward', next?: number) =>
  start('./floor-server.ts', [role, String(next ?? '')]);
const node = (stack: 'lean' | 'connect', role: 'echo' | 'forward', next?: number) =>
  start('./lean-node.ts', [stack, role, String(next ?? '')]);

const framed = frame(toBinary(DataRequestProtoSchema, makeRequest(32, 512)));

async function measure(label: string, port: number): Promise<Record<number, LoadResult>> {
  const client = new FloorClient(port);
  const out: Record<number, LoadResult> = {};
  for (const concurrency of [1, 32]) {
    out[concurrency] = await runLoad(() => client.call(framed), { concurrency, durationMs });
    console.log(`${label.padEnd(34)} c=${String(concurrency).padEnd(3)} ${fmt(out[concurrency]!)}`);
  }
  client.close();
  for (const c of children.splice(0)) c.kill();
  return out;
}

console.log(`request: 32 docs × 512-dim float32, ${framed.length} bytes framed; ${durationMs} ms per point`);
const floor1 = await measure('floor: 1 hop echo', await floor('echo'));
const lean1 = await measure('lean: 1 hop echo', await node('lean', 'echo'));
const connect1 = await measure('connect (Weft settings): 1 hop', await node('connect', 'echo'));
const floor2 = await measure('floor: 2 hops echo', await floor('forward', await floor('echo')));
const lean2 = await measure(
  'lean: 2 hops, bytes forwarded',
  await node('lean', 'forward', await node('lean', 'echo')),
);
const connect2 = await measure(
  'connect (Weft settings): 2 hops',
  await node('connect', 'forward', await node('connect', 'echo')),
);

const ratio = (a: LoadResult, b: LoadResult) => (a.rps / b.rps).toFixed(2);
const p50 = (a: LoadResult, b: LoadResult) =>
  `${a.p50ms - b.p50ms >= 0 ? '+' : ''}${(a.p50ms - b.p50ms).toFixed(2)} ms`;
console.log('');
console.log(
  `lean 1 hop / floor 1 hop      c=32: ${ratio(lean1[32]!, floor1[32]!)}  c=1: ${ratio(lean1[1]!, floor1[1]!)}  (c=1 p50 ${p50(lean1[1]!, floor1[1]!)})`,
);
console.log(
  `lean 2 hops / floor 2 hops    c=32: ${ratio(lean2[32]!, floor2[32]!)}  c=1: ${ratio(lean2[1]!, floor2[1]!)}  (c=1 p50 ${p50(lean2[1]!, floor2[1]!)})`,
);
console.log(
  `connect 1 hop / floor 1 hop   c=32: ${ratio(connect1[32]!, floor1[32]!)}  c=1: ${ratio(connect1[1]!, floor1[1]!)}`,
);
console.log(
  `connect 2 hops / floor 2 hops c=32: ${ratio(connect2[32]!, floor2[32]!)}  c=1: ${ratio(connect2[1]!, floor2[1]!)}`,
);
process.exit(0);
