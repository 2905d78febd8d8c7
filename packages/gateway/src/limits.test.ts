import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { JinaSingleDataRequestRPC } from '@weft/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { guardSession, normalizeLimits } from './limits.js';

// The gRPC door is node:http2 + connect-node (as in grpc-listener.ts) with guardSession on every
// session. A message over the size limit is refused before it is read to the end; the stream must
// still end on the server, or it is kept (with its request, response and pending promises) for as
// long as the connection lives.
const LIMIT = 64 * 1024;
let server: http2.Http2Server | undefined;
let client: http2.ClientHttp2Session | undefined;
afterEach(async () => {
  client?.destroy();
  if (server) await new Promise<void>((r) => server!.close(() => r()));
  server = client = undefined;
});

async function start(guard: boolean) {
  const adapter = connectNodeAdapter({
    routes: (router) => router.service(JinaSingleDataRequestRPC, { process_single_data: (r) => r }),
    grpc: true,
    grpcWeb: false,
    connect: false,
    readMaxBytes: LIMIT,
  });
  server = http2.createServer({ settings: { initialWindowSize: 4 << 20 } }, adapter);
  const streams = { opened: 0, closed: 0 };
  const limits = normalizeLimits();
  server.on('session', (s) => {
    s.on('error', () => {});
    if (guard) guardSession(s, limits);
  });
  server.on('stream', (st) => {
    streams.opened++;
    st.once('close', () => streams.closed++);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  client.on('error', () => {});
  return streams;
}

function oversized(n: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = client!.request({
      ':method': 'POST',
      ':path': '/jina.JinaSingleDataRequestRPC/process_single_data',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const timer = setTimeout(() => reject(new Error('no answer in 5 s')), 5000);
    let status = '';
    s.on('trailers', (t) => (status = String(t['grpc-status'])));
    s.on('response', (h) => (status ||= String(h['grpc-status'] ?? '')));
    s.on('data', () => {});
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(status);
    });
    const frame = Buffer.alloc(5 + n, 0x0a);
    frame.writeUInt32BE(n, 1);
    s.end(frame);
  });
}

describe('guardSession', () => {
  it('a stream refused for its size (RESOURCE_EXHAUSTED) still ends on the server: the rest of its request is discarded', async () => {
    const streams = await start(true);
    const codes: string[] = [];
    for (let i = 0; i < 50; i++) codes.push(await oversized(LIMIT * 2 + i));
    await new Promise((r) => setTimeout(r, 200));
    expect(codes).toEqual(Array(50).fill('8'));
    expect(streams).toEqual({ opened: 50, closed: 50 }); // with the connection still open
  });

  it('a normal call is unaffected', async () => {
    const streams = await start(true);
    const ok = await new Promise<string>((resolve) => {
      const s = client!.request({
        ':method': 'POST',
        ':path': '/jina.JinaSingleDataRequestRPC/process_single_data',
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      let status = '';
      let bytes = 0;
      s.on('trailers', (t) => (status = String(t['grpc-status'])));
      s.on('data', (d: Buffer) => (bytes += d.length));
      s.on('close', () => resolve(`${status} ${bytes}`));
      s.end(Buffer.from([0, 0, 0, 0, 0]));
    });
    expect(ok).toBe('0 5');
    await new Promise((r) => setTimeout(r, 50));
    expect(streams).toEqual({ opened: 1, closed: 1 });
  });
});
