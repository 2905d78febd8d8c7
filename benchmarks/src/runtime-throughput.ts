// Executor runtime benchmark: a no-op Executor served by serveExecutor vs a raw connect-node echo
// server of the same JinaSingleDataRequestRPC service, on the same messages in the same run.
// Each server runs in its own plain-node child process (runtime-server.mjs, built packages); the
// client runs here. Also reports the idle RSS of both server processes.
//
//   npx nx run-many -t build && npx tsx benchmarks/src/runtime-throughput.ts [--seconds 0.5] [--rounds 40] [--concurrency 32]
import { fork } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createClient } from '@connectrpc/connect';
import { createDataRequest } from '@weft/core';
import { createWeftTransport } from '@weft/core/grpc';
import { Document, DocumentArray, Tensor } from '@weft/docarray';
import { JinaSingleDataRequestRPC } from '@weft/proto';

const SERVER = fileURLToPath(new URL('./runtime-server.mjs', import.meta.url));

interface Server {
  port: number;
  rss(): Promise<number>;
  stop(): Promise<void>;
}

async function startServer(role: 'echo' | 'runtime'): Promise<Server> {
  const child = fork(SERVER, [role], {
    execArgv: [],
    env: { ...process.env, WEFT_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} server not ready in 30 s`)), 30_000);
    child.once('message', (m: { port: number }) => {
      clearTimeout(timer);
      resolve(m.port);
    });
    child.once('exit', (code) => reject(new Error(`${role} server exited with ${code}`)));
  });
  return {
    port,
    rss: () =>
      new Promise((resolve) => {
        child.once('message', (m: { rss: number }) => resolve(m.rss));
        child.send('rss');
      }),
    async stop() {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

function makeDocs(n: number, dim: number): DocumentArray {
  const docs = new DocumentArray();
  for (let i = 0; i < n; i++) {
    const v = new Float32Array(dim);
    for (let j = 0; j < dim; j++) v[j] = Math.random();
    const d = new Document({ text: `doc ${i}` });
    d.embedding = new Tensor(v, [dim]);
    docs.push(d);
  }
  return docs;
}

/** A client of one server over one HTTP/2 session, kept for the whole run. */
function clientOf(port: number) {
  const t = createWeftTransport(`http://127.0.0.1:${port}`);
  return { client: createClient(JinaSingleDataRequestRPC, t.transport), close: () => t.close() };
}

/** Requests per second of `concurrency` callers sending `docs` for `seconds`. */
async function measure(
  client: ReturnType<typeof clientOf>['client'],
  docs: DocumentArray,
  concurrency: number,
  seconds: number,
): Promise<number> {
  const request = createDataRequest({ endpoint: '/', docs });
  const until = Date.now() + seconds * 1000;
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        await client.process_single_data(request, { timeoutMs: 30_000 });
        done++;
      }
    }),
  );
  return done / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '0.5' },
      rounds: { type: 'string', default: '40' },
      concurrency: { type: 'string', default: '32' },
      docs: { type: 'string', default: '32' },
      dim: { type: 'string', default: '512' },
    },
  });
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const concurrency = Number(values.concurrency);
  const docs = makeDocs(Number(values.docs), Number(values.dim));
  const echo = await startServer('echo');
  const runtime = await startServer('runtime');
  const ec = clientOf(echo.port);
  const rc = clientOf(runtime.port);
  try {
    // Idle RSS of freshly started processes, before any request.
    await new Promise((r) => setTimeout(r, 1000));
    const freshRuntime = await runtime.rss();
    const freshEcho = await echo.rss();

    await measure(ec.client, docs, concurrency, 1);
    await measure(rc.client, docs, concurrency, 1);
    const e: number[] = [];
    const r: number[] = [];
    for (let i = 0; i < rounds; i++) {
      // Short slices, alternating which server goes first, so that drifting load on the machine
      // hits both alike; the figure is the median of the per-pair ratios.
      if (i % 2 === 0) {
        e.push(await measure(ec.client, docs, concurrency, seconds));
        r.push(await measure(rc.client, docs, concurrency, seconds));
      } else {
        r.push(await measure(rc.client, docs, concurrency, seconds));
        e.push(await measure(ec.client, docs, concurrency, seconds));
      }
    }
    await new Promise((res) => setTimeout(res, 5000));
    const loadedRuntime = await runtime.rss();
    const loadedEcho = await echo.rss();
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
    const ratios = r.map((x, i) => x / e[i]!).sort((a, b) => a - b);
    const q = (f: number) => ratios[Math.floor((ratios.length - 1) * f)]!.toFixed(2);
    console.log(
      `executor runtime benchmark: ${values.docs} docs × ${values.dim}-dim float32 per request, concurrency ${concurrency}, ${rounds} interleaved pairs of ${seconds} s slices`,
    );
    console.log(
      `  raw connect-node echo : ${median(e).toFixed(0)} req/s   (range ${Math.min(...e).toFixed(0)}–${Math.max(...e).toFixed(0)})`,
    );
    console.log(
      `  serveExecutor no-op   : ${median(r).toFixed(0)} req/s   (range ${Math.min(...r).toFixed(0)}–${Math.max(...r).toFixed(0)})`,
    );
    console.log(
      `  ratio runtime / echo  : ${median(ratios).toFixed(3)} (median of per-pair ratios; ${(median(r) / median(e)).toFixed(3)} as ratio of medians; target ≥ 0.85)`,
    );
    console.log(
      `  per-pair ratio spread : quartiles ${q(0.25)} / ${q(0.5)} / ${q(0.75)}, ${ratios.length} pairs`,
    );
    console.log(`  load average (1 min)  : ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`);
    console.log(
      `  idle RSS, fresh       : runtime ${mb(freshRuntime)} MB (target < 70 MB), echo ${mb(freshEcho)} MB`,
    );
    console.log(`  idle RSS, 5 s after load: runtime ${mb(loadedRuntime)} MB, echo ${mb(loadedEcho)} MB`);
  } finally {
    ec.close();
    rc.close();
    await Promise.all([echo.stop(), runtime.stop()]);
  }
}

await main();
