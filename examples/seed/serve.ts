// `npm start`: serves the seed Flow on port 12345 until Ctrl-C.
import { Flow } from '@weft/orchestrator';
import { BarExec, FooExec } from './executors.js';

const port = Number(process.env.WEFT_PORT ?? 12345);
const f = new Flow({ port }).add({ uses: FooExec, replicas: 3 }).add({ uses: BarExec, replicas: 2 });
await f.start();
console.log(`Seed Flow ready: gRPC gateway at grpc://127.0.0.1:${port} (FooExec ×3 → BarExec ×2).`);
console.log(`Call it from another terminal with:  npm run client     (Ctrl-C here stops the Flow)`);
await f.block();
