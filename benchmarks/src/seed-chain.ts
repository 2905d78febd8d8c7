// Benchmark: the seed chain (gateway → FooExec → BarExec, one replica each) against a raw
// connect-node baseline with the same number of gRPC round trips (client → A; A calls B, then C),
// each server in its own process, same 32-doc × 512-dim messages, same client, same run.
// Run: npx tsx benchmarks/src/seed-chain.ts
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { Flow } from '@weft/orchestrator';
import { JinaSingleDataRequestRPC } from '@weft/proto';
import { BarExec, FooExec } from './executors.js';
import { fmt, runLoad } from './load.js';
import { makeRequest } from './payload.js';

const durationMs = Number(process.env.BENCH_MS ?? 4000);

async function baseline(): Promise<{ port: number; stop: () => void }> {
  const script = fileURLToPath(new URL('./raw-echo-server.ts', import.meta.url));
  const base = 23000 + Math.floor(Math.random() * 20000);
  const specs = [
    [String(base + 1), 'echo'],
    [String(base + 2), 'echo'],
    [String(base), 'chain', `127.0.0.1:${base + 1}`, `127.0.0.1:${base + 2}`],
  ];
  const children = specs.map((args) => fork(script, args, { stdio: 'inherit' }));
  await Promise.all(children.map((c) => new Promise((r) => c.once('message', r))));
  return {
    port: base,
    stop: () => {
      for (const c of children) c.kill();
    },
  };
}

async function measure(label: string, port: number) {
  const client = createClient(
    JinaSingleDataRequestRPC,
    createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}`, acceptCompression: [] }),
  );
  const req = makeRequest(32, 512);
  const send = () => client.process_single_data(req);
  const out: Record<number, Awaited<ReturnType<typeof runLoad>>> = {};
  for (const concurrency of [1, 32]) {
    out[concurrency] = await runLoad(send, { concurrency, durationMs });
    console.log(`${label.padEnd(34)} c=${String(concurrency).padEnd(3)} ${fmt(out[concurrency]!)}`);
  }
  return out;
}

const raw = await baseline();
const rawResult = await measure('raw connect-node chain (3 procs)', raw.port);
raw.stop();

const flow = new Flow().add({ uses: FooExec }).add({ uses: BarExec });
await flow.start();
const weftResult = await measure('weft seed chain (gateway + 2)', flow.port!);
await flow.close();

console.log('');
for (const c of [1, 32]) {
  const ratio = weftResult[c]!.rps / rawResult[c]!.rps;
  console.log(`seed chain / raw baseline at concurrency ${c}: ${ratio.toFixed(2)}`);
}
process.exit(0);
