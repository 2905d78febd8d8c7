// Benchmark: @weft/client streaming 100 000 documents (16-char text + 512-dim float32 embedding)
// in requests of 100 over one gRPC `JinaRPC.Call` stream: client → gateway → 1 no-op executor,
// each server in its own process. Baseline in the same run: a raw connect-node client sending the
// same requests (docs as docs_bytes, at most 100 in flight) straight to the gateway's Call.
// Runs interleaved (raw, weft, raw, weft, …) so that load from other processes hits both alike.
// Run: npx tsx benchmarks/src/client-stream.ts   (CLIENT_BENCH_DOCS, CLIENT_BENCH_ROUNDS to change)
import { create } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { Client } from '@weft/client';
import { createDataRequest, requestDocs } from '@weft/core';
import { createWeftTransport } from '@weft/core/grpc';
import type { Document } from '@weft/docarray';
import { type DataRequestProto, DataRequestProto_DataContentProtoSchema, JinaRPC } from '@weft/proto';
import { forkScript, freePort, stopChildren } from './children.js';
import { makeDocs } from './payload.js';

const TOTAL = Number(process.env.CLIENT_BENCH_DOCS ?? 100_000);
const ROUNDS = Number(process.env.CLIENT_BENCH_ROUNDS ?? 3);
const SIZE = 100;
const PREFETCH = 100;

const start = async (args: string[]): Promise<any> => (await forkScript('./gateway-roles.ts', args)).msg;

// 10 distinct batches of 100 documents, reused round-robin (100 000 fresh 512-dim documents would
// need 200 MB before the first byte is sent).
const pool: Document[] = makeDocs(10 * SIZE, 512).toArray();
function* inputs(): Generator<Document> {
  for (let i = 0; i < TOTAL; i++) yield pool[i % pool.length]!;
}

async function raw(port: number): Promise<number> {
  const t = createWeftTransport(`http://127.0.0.1:${port}`);
  const rpc = createClient(JinaRPC, t.transport);
  const { DocumentArray } = await import('@weft/docarray');
  let inFlight = 0;
  let wake: (() => void) | undefined;
  let received = 0;
  async function* requests(): AsyncGenerator<DataRequestProto> {
    let batch: Document[] = [];
    for (const d of inputs()) {
      batch.push(d);
      if (batch.length < SIZE) continue;
      while (inFlight >= PREFETCH) await new Promise<void>((r) => (wake = r));
      inFlight++;
      const da = new DocumentArray();
      da.pushRaw(batch);
      batch = [];
      const req = createDataRequest({ endpoint: '/' });
      req.data = create(DataRequestProto_DataContentProtoSchema, {
        documents: { case: 'docsBytes', value: da.toBytes() },
      });
      yield req;
    }
  }
  const t0 = performance.now();
  for await (const res of rpc.call(requests())) {
    received += requestDocs(res).length;
    inFlight--;
    wake?.();
    wake = undefined;
  }
  const s = (performance.now() - t0) / 1000;
  t.close();
  if (received !== TOTAL) throw new Error(`raw: ${received} docs back, expected ${TOTAL}`);
  return TOTAL / s;
}

async function weft(port: number): Promise<number> {
  const client = new Client({ port });
  let received = 0;
  const t0 = performance.now();
  await client.post('/', inputs, {
    requestSize: SIZE,
    prefetch: PREFETCH,
    onDone: (r) => {
      received += r.docs.length;
    },
  });
  const s = (performance.now() - t0) / 1000;
  client.close();
  if (received !== TOTAL) throw new Error(`weft: ${received} docs back, expected ${TOTAL}`);
  return TOTAL / s;
}

const pe = await freePort();
await start(['executor', String(pe)]);
const gw = await start([
  'gateway',
  JSON.stringify({
    graph: { 'start-gateway': ['noop'], noop: ['end-gateway'] },
    addresses: { noop: [`127.0.0.1:${pe}`] },
  }),
]);
const port = gw.port as number;
console.log(
  `${TOTAL} docs (512-dim float32 + text), requestSize ${SIZE}, ${PREFETCH} in flight, gRPC Call stream`,
);
await weft(port); // warm-up of both paths (JIT, connections in the gateway)
await raw(port);
const rawRates: number[] = [];
const weftRates: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  rawRates.push(await raw(port));
  weftRates.push(await weft(port));
  console.log(
    `round ${i + 1}: raw ${rawRates.at(-1)!.toFixed(0)} docs/s, weft client ${weftRates.at(-1)!.toFixed(0)} docs/s`,
  );
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const [r, w] = [median(rawRates), median(weftRates)];
console.log(
  `median: raw connect-node ${r.toFixed(0)} docs/s, @weft/client ${w.toFixed(0)} docs/s, ratio ${(w / r).toFixed(2)} (target ≥ 0.7)`,
);
stopChildren();
process.exit(0);
