// Orchestrator benchmark: time from Flow.start() to ready for the seed Flow (6 processes: gateway,
// FooExec × 3, BarExec × 2), against forking 6 bare Node processes that import the runtime package
// and listen on a port, in the same run; then the idle RSS of the whole seed Flow.
//   npx tsx benchmarks/src/orchestrator-startup.ts
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client } from '@weft/client';
import { DocumentArray } from '@weft/docarray';
import { Flow } from '@weft/orchestrator';
import { BarExec, FooExec } from './orchestrator-executors.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const bareChild = fileURLToPath(new URL('./orchestrator-bare-child.mjs', import.meta.url));

async function bare(): Promise<number> {
  const t0 = performance.now();
  const children = Array.from({ length: 6 }, () =>
    fork(bareChild, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  await Promise.all(children.map((c) => new Promise<void>((resolve) => c.once('message', () => resolve()))));
  const ms = performance.now() - t0;
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
  return ms;
}

const seed = () =>
  new Flow({ log: () => {} }).add({ uses: FooExec, replicas: 3 }).add({ uses: BarExec, replicas: 2 });

async function weft(): Promise<number> {
  const f = seed();
  const t0 = performance.now();
  await f.start();
  const ms = performance.now() - t0;
  await f.close();
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

// One warm-up of each (file-system cache, tsx compile cache), then interleaved rounds.
await bare();
await weft();
const b: number[] = [];
const w: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  b.push(await bare());
  w.push(await weft());
}
console.log(
  `bare fork ×6 → listening (ms): ${b.map((x) => x.toFixed(0)).join(' ')}  median ${median(b).toFixed(0)}`,
);
console.log(
  `seed Flow start() → ready (ms): ${w.map((x) => x.toFixed(0)).join(' ')}  median ${median(w).toFixed(0)}`,
);
console.log(`ratio Weft / bare: ${(median(w) / median(b)).toFixed(2)} (target ≤ 2)`);

const f = seed();
await f.start();
const c = new Client({ port: f.port! });
await c.post('/', DocumentArray.empty(10));
c.close();
await new Promise((r) => setTimeout(r, 2000));
const rt = f.describe();
const rss = rt.map((r) => ({ name: r.name, mib: rssMiB(r.pid!) }));
for (const r of rss) console.log(`  ${r.name.padEnd(16)} ${r.mib.toFixed(1)} MiB`);
console.log(
  `idle RSS of the seed Flow (${rt.length} processes): ${rss.reduce((s, r) => s + r.mib, 0).toFixed(0)} MiB`,
);
await f.close();
