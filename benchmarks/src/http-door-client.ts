// A client of an HTTP door (the gateway's, or a proxy shaped like it): POST /post with a JSON body
// of 32 × 512-d documents, serialized once, over 32 keep-alive connections.
import { Agent, request } from 'undici';
import { makeDocs } from './payload.js';

/** A shared connection pool and the one request body; `send(port)` posts it to that port. */
export function httpDoorClient() {
  const agent = new Agent({ connections: 32, pipelining: 1 });
  const body = JSON.stringify({ execEndpoint: '/', data: makeDocs(32, 512).toJSON() });
  return {
    send: (port: number) => async () => {
      const res = await request(`http://127.0.0.1:${port}/post`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        dispatcher: agent,
      });
      const j = (await res.body.json()) as { data: unknown[] };
      if (res.statusCode !== 200 || j.data.length !== 32) throw new Error(`HTTP ${res.statusCode}`);
    },
    close: () => agent.close(),
  };
}
