import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from './index.js';
import { answer } from './test-fixtures/fake-doors.js';

// A gateway closes a keep-alive connection after limits.maxRequestsPerConnection requests (the
// last answer says `connection: close`). The HTTP transport must then reuse its next connection
// too: undici 7.10+ Agents open one connection per request from then on (nodejs/undici#5022).
let server: Server;
let port = 0;
let connections = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answer(JSON.parse(body))));
    });
  });
  server.maxRequestsPerSocket = 3;
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('HTTP keep-alive against a server that caps requests per connection', () => {
  it('30 requests one after the other use 10 connections, not one per request', async () => {
    const c = new Client({ port, protocol: 'http' });
    try {
      connections = 0;
      const inputs = Array.from({ length: 30 }, (_, i) => ({ text: `k${i}` }));
      const r = await c.post('/', inputs, { requestSize: 1, prefetch: 1 });
      expect(r.texts).toEqual(inputs.map((d) => d.text.toUpperCase()));
      expect(connections).toBeLessThanOrEqual(11);
    } finally {
      c.close();
    }
  });
});
