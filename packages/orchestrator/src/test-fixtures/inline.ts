// An Executor defined inline (not exported): each child re-imports this module and its Flow serves the role.
import { Client } from '@weft/client';
import { DocumentArray } from '@weft/docarray';
import { Executor, requests } from '@weft/executor-runtime';
import { Flow } from '../index.js';

class Shout extends Executor {
  @requests()
  shout(docs: DocumentArray) {
    for (const d of docs) d.text = `${d.text.toUpperCase()}!`;
  }
}

const f = new Flow().add({ uses: Shout, replicas: 2 });
await f.start();
const c = new Client({ port: f.port! });
const r = await c.post('/', new DocumentArray([{ text: 'a' }, { text: 'b' }]));
console.log(JSON.stringify(r.texts));
c.close();
await f.close();
