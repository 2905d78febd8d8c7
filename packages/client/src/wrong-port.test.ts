import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DocumentArray } from '@weft/docarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, ClientError } from './index.js';

// A gRPC client pointed at an HTTP/1.1 port (a common mix-up: the gateway's HTTP door) must fail
// the call, not crash the process with an unhandled HTTP/2 session 'error' event.
let server: Server;
let port = 0;
beforeAll(async () => {
  server = createServer((_req, res) => res.end('not grpc'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('a gRPC client against an HTTP/1.1 port', () => {
  it('rejects with a ClientError, twice in a row, and the process lives on', async () => {
    const c = new Client({ port, protocol: 'grpc' });
    for (let i = 0; i < 2; i++) {
      const err = await c.post('/', DocumentArray.empty(1), { timeoutMs: 5000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClientError);
    }
    c.close();
    await new Promise((r) => setTimeout(r, 200));
  });
});
