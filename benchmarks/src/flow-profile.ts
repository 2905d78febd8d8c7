// CPU profiles of a real Flow under load: the gateway and its executors each run with
// `node --cpu-prof`; the load (raw HTTP/2 client, gRPC framing, 32 docs × 512-d, concurrency 32)
// runs here, unprofiled. Prints, per process, where self time goes per request.
// Run: npx tsx benchmarks/src/flow-profile.ts [noop|seed] [outDir]
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { toBinary } from '@bufbuild/protobuf';
import { Flow } from '@weft/orchestrator';
import { DataRequestProtoSchema } from '@weft/proto';
import { BarExec, FooExec } from './executors.js';
import { encodeFrame } from '@weft/core/grpc';
import { FloorClient } from './h2-floor.js';
import { fmt, runLoad } from './load.js';
import { NoOp } from './noop-executor.js';
import { makeRequest } from './payload.js';
import { summarizeFile } from './profile-summary.js';

const kind = process.argv[2] === 'seed' ? 'seed' : 'noop';
const out = resolve(process.argv[3] ?? `.profiles/flow-${kind}`);
rmSync(out, { recursive: true, force: true });
// Every runtime process writes its profile on exit.
process.env.WEFT_RUNTIME_NODE_ARGS = `--cpu-prof --cpu-prof-dir=${out}`;
const flow =
  kind === 'seed' ? new Flow().add({ uses: FooExec }).add({ uses: BarExec }) : new Flow().add({ uses: NoOp });
await flow.start();
delete process.env.WEFT_RUNTIME_NODE_ARGS;
const client = new FloorClient(flow.port!);
const framed = encodeFrame(toBinary(DataRequestProtoSchema, makeRequest(32, 512)));
let sent = 0;
const r = await runLoad(
  () => {
    sent++;
    return client.call(framed);
  },
  {
    concurrency: Number(process.env.BENCH_CONCURRENCY ?? 32),
    durationMs: Number(process.env.BENCH_MS ?? 4000),
  },
);
console.log(
  `flow (${kind}), c=${process.env.BENCH_CONCURRENCY ?? 32}: ${fmt(r)}; ${sent} requests in all (with warm-up)`,
);
client.close();
await flow.close();
for (const f of readdirSync(out).filter((f) => f.endsWith('.cpuprofile'))) {
  const text = readFileSync(join(out, f), 'utf8');
  const role = text.includes('packages/gateway/') && text.includes('topology') ? 'gateway' : 'executor';
  summarizeFile(`${role} (${f})`, join(out, f), sent);
}
process.exit(0);
