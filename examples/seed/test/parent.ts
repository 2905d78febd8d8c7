// A parent process for the orphan test: starts the seed Flow, prints the runtimes' pids, waits.
import { Flow } from '@weft/orchestrator';
import { BarExec, FooExec } from '../executors.js';

const f = new Flow().add({ uses: FooExec, replicas: 2 }).add({ uses: BarExec });
await f.start();
console.log(JSON.stringify({ pids: f.describe().map((r) => r.pid), port: f.port }));
await f.block();
