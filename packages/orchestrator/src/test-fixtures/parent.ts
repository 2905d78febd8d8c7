// A parent process that starts a Flow and prints its runtimes' pids, then waits to be killed.
import { Flow } from '../index.js';
import { WhoAmI } from './executors.js';

const f = new Flow().add({ uses: WhoAmI, replicas: 2 }).add({ uses: WhoAmI, name: 'second' });
await f.start();
console.log(JSON.stringify(f.describe().map((r) => r.pid)));
setInterval(() => {}, 1000);
