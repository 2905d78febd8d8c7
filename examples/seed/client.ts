// `npm run client`: posts two empty documents to the Flow served by `npm start` on port 12345.
import { Client } from '@weft/client';
import { DocumentArray } from '@weft/docarray';

const client = new Client({ port: Number(process.env.WEFT_PORT ?? 12345) });
try {
  const r = await client.post('/', DocumentArray.empty(2), { timeoutMs: 10_000 });
  console.log(r.texts);
} finally {
  client.close();
}
