// Benchmark: the lean gRPC layer against the HTTP/2 floor (plain node:http2, gRPC framing,
// pre-encoded bytes) in the same run, one hop and two hops, every server in its own process and
// the same raw HTTP/2 client for all. Two hops = client → forwarder → echo; the lean forwarder
// passes the request bytes on untouched with createLeanClient; a second lean chain reads and
// rewrites the head both ways (a route, as a gateway does) and passes the documents on as bytes. Weft's connect-node settings
// (startGrpcServer + createWeftTransport, decoding and re-encoding) run beside them as "before".
// Run: npx tsx benchmarks/src/lean-chain.ts   (BENCH_MS per point, default 4000)
import { toBinary } from '@bufbuild/protobuf';
import { DataRequestProtoSchema } from '@weft/proto';
import { encodeFrame } from '@weft/core/grpc';
import { FloorClient } from './h2-floor.js';
import { fmt, type LoadResult, runLoad } from './load.js';
import { forkScript, stopChildren } from './children.js';
import { makeRequest } from './payload.js';

const durationMs = Number(process.env.BENCH_MS ?? 4000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
const start = async (script: string, args: string[]) =>
  (await forkScript<{ port: number }>(script, args)).msg.port;
const floor = (role: 'echo' | 'forward', next?: number) =>
  start('./floor-server.ts', [role, String(next ?? '')]);
const node = (stack: 'lean' | 'connect', role: 'echo' | 'forward' | 'gateway', next?: number) =>
  start('./lean-node.ts', [stack, role, String(next ?? '')]);

const framed = encodeFrame(toBinary(DataRequestProtoSchema, makeRequest(32, 512)));

// Every chain runs at once (idle ones cost nothing); the points are measured in `rounds` short
// slices, round-robin, so that load from other processes on the machine hits all chains alike.
const chains: [label: string, port: number][] = [
  ['floor: 1 hop echo', await floor('echo')],
  ['lean: 1 hop echo', await node('lean', 'echo')],
  ['connect (Weft settings): 1 hop', await node('connect', 'echo')],
  ['floor: 2 hops echo', await floor('forward', await floor('echo'))],
  ['lean: 2 hops, bytes forwarded', await node('lean', 'forward', await node('lean', 'echo'))],
  ['lean: 2 hops, head rewritten', await node('lean', 'gateway', await node('lean', 'echo'))],
  ['connect (Weft settings): 2 hops', await node('connect', 'forward', await node('connect', 'echo'))],
];
const clients = chains.map(([, port]) => new FloorClient(port));
const slices = new Map<string, LoadResult[]>();
for (let round = 0; round < rounds; round++) {
  for (const concurrency of [1, 32]) {
    for (const [i, [label]] of chains.entries()) {
      const r = await runLoad(() => clients[i]!.call(framed), {
        concurrency,
        durationMs: durationMs / rounds,
        warmupMs: round === 0 ? 1000 : 200,
      });
      const key = `${label}@${concurrency}`;
      slices.set(key, [...(slices.get(key) ?? []), r]);
    }
  }
}
for (const c of clients) c.close();
stopChildren();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** All slices of a point together: total requests over total time; p50/p99 the median of the slices'. */
function point(label: string, concurrency: number): LoadResult {
  const s = slices.get(`${label}@${concurrency}`)!;
  const requests = s.reduce((n, r) => n + r.requests, 0);
  const seconds = s.reduce((n, r) => n + r.seconds, 0);
  return {
    requests,
    seconds,
    rps: requests / seconds,
    p50ms: median(s.map((r) => r.p50ms)),
    p99ms: median(s.map((r) => r.p99ms)),
  };
}
console.log(
  `request: 32 docs × 512-dim float32, ${framed.length} bytes framed; ${durationMs} ms per point in ${rounds} round-robin slices`,
);
for (const concurrency of [1, 32]) {
  for (const [label] of chains) {
    console.log(`${label.padEnd(34)} c=${String(concurrency).padEnd(3)} ${fmt(point(label, concurrency))}`);
  }
}
/** Ratio of throughputs over all slices, and the median of the per-round ratios. */
function ratio(a: string, b: string, concurrency: number): string {
  const all = point(a, concurrency).rps / point(b, concurrency).rps;
  const sa = slices.get(`${a}@${concurrency}`)!;
  const sb = slices.get(`${b}@${concurrency}`)!;
  const perRound = median(sa.map((r, i) => r.rps / sb[i]!.rps));
  return `${all.toFixed(2)} (median of rounds ${perRound.toFixed(2)})`;
}
function compare(a: string, b: string): void {
  const d = point(a, 1).p50ms - point(b, 1).p50ms;
  console.log(
    `${`${a} / ${b}`.padEnd(64)} c=32: ${ratio(a, b, 32)}  c=1: ${ratio(a, b, 1)}  c=1 p50 ${d >= 0 ? '+' : ''}${d.toFixed(2)} ms`,
  );
}
console.log('');
compare('lean: 1 hop echo', 'floor: 1 hop echo');
compare('lean: 2 hops, bytes forwarded', 'floor: 2 hops echo');
compare('lean: 2 hops, head rewritten', 'floor: 2 hops echo');
compare('connect (Weft settings): 1 hop', 'floor: 1 hop echo');
compare('connect (Weft settings): 2 hops', 'floor: 2 hops echo');
process.exit(0);
