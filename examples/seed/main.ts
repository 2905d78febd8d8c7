// The seed pipeline: both Executors are defined here, inline, and each replica is a real process.
import { Client } from '@weft/client';
import { type DocumentArray, DocumentArray as DA } from '@weft/docarray';
import { Executor, requests } from '@weft/executor-runtime';
import { Flow } from '@weft/orchestrator';

class FooExec extends Executor {
  @requests()
  async addText(docs: DocumentArray) {
    for (const d of docs) d.text += 'hello, world!';
  }
}

class BarExec extends Executor {
  @requests()
  async addText(docs: DocumentArray) {
    for (const d of docs) d.text += 'goodbye!';
  }
}

const f = new Flow({ port: 12345 }).add({ uses: FooExec, replicas: 3 }).add({ uses: BarExec, replicas: 2 });
await f.start();
const client = new Client({ port: 12345 });
const r = await client.post('/', DA.empty(2));
console.log(r.texts);
client.close();
await f.close();
