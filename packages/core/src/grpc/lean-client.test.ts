import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Code, ConnectError } from '@connectrpc/connect';
import { afterEach, describe, expect, it } from 'vitest';
import { createLeanClient, type LeanClient } from './lean-client.js';
import { encodeFrame } from './lean-frame.js';
import { startLeanGrpcServer } from './lean-server.js';
import type { GrpcServer } from './server.js';

const UNARY = '/test.Lean/Unary';
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function client(port: number, options = {}): LeanClient {
  const c = createLeanClient(`http://127.0.0.1:${port}`, options);
  cleanup.push(() => c.close());
  return c;
}

async function lean(
  handler = (b: Uint8Array) => b as Uint8Array | Promise<Uint8Array>,
  port = 0,
): Promise<GrpcServer> {
  const s = await startLeanGrpcServer({ port, unary: { [UNARY]: handler } });
  cleanup.push(() => s.close(100));
  return s;
}

/** A plain node:http2 server whose stream handling the test decides; tracks sessions to destroy them. */
async function rawServer(onStream: (s: http2.ServerHttp2Stream, h: http2.IncomingHttpHeaders) => void) {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('error', () => {});
  });
  server.on('stream', (s, h) => {
    s.on('error', () => {});
    onStream(s, h);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sessions) s.destroy();
        server.close(() => r());
      }),
  );
  return { port: (server.address() as AddressInfo).port, sessions };
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('lean client', () => {
  it('calls a unary method and returns the bytes, header and trailer metadata', async () => {
    const server = await startLeanGrpcServer({
      unary: {
        [UNARY]: (req, ctx) => {
          ctx.responseHeader.set('x-h', ctx.requestHeader.get('x-in') ?? 'none');
          ctx.responseTrailer.set('is-error', 'true');
          return enc(`got ${dec(req)}`);
        },
      },
    });
    cleanup.push(() => server.close(100));
    const c = client(server.port);
    const r = await c.unary(UNARY, enc('a'), { headers: { 'x-in': 'meta' } });
    expect(dec(r.message)).toBe('got a');
    expect(r.header.get('x-h')).toBe('meta');
    expect(r.trailer.get('is-error')).toBe('true');
    expect(r.trailer.has('grpc-status')).toBe(false);
  });

  it('sends a request given in parts, small or large, as one message', async () => {
    const server = await lean((b) => enc(`${b.length}:${b[0]}:${b[b.length - 1]}`));
    const c = client(server.port);
    expect(dec((await c.unary(UNARY, [enc('a'), enc('bc')])).message)).toBe('3:97:99');
    const big = [new Uint8Array(50_000).fill(1), new Uint8Array(0), new Uint8Array(70_000).fill(2)];
    expect(dec((await c.unary(UNARY, big)).message)).toBe('120000:1:2');
  });

  it('fails with UNAVAILABLE naming the address when the connection is refused', async () => {
    const port = await freePort();
    const c = client(port);
    const e = await c.unary(UNARY, enc('x')).catch((err) => err);
    expect(e).toBeInstanceOf(ConnectError);
    expect(e.code).toBe(Code.Unavailable);
    expect(e.rawMessage).toContain(`cannot reach http://127.0.0.1:${port}`);
    expect(e.rawMessage).toContain('ECONNREFUSED');
  });

  it('fails with UNAVAILABLE when the peer resets the connection', async () => {
    const tcp = net.createServer((sock) => sock.destroy());
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => tcp.close(r)));
    const c = client((tcp.address() as AddressInfo).port);
    const e = await c.unary(UNARY, enc('x'), { timeoutMs: 5000 }).catch((err) => err);
    expect(e.code).toBe(Code.Unavailable);
  });

  it('fails with UNAVAILABLE when the connection cannot be set up in connectTimeoutMs', async () => {
    // A TCP server that accepts and never speaks HTTP/2.
    const socks: net.Socket[] = [];
    const tcp = net.createServer((sock) => socks.push(sock));
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    cleanup.push(() => {
      for (const s of socks) s.destroy();
      return new Promise((r) => tcp.close(r));
    });
    const c = client((tcp.address() as AddressInfo).port, { connectTimeoutMs: 200 });
    const t0 = Date.now();
    const e = await c.unary(UNARY, enc('x')).catch((err) => err);
    expect(e.code).toBe(Code.Unavailable);
    expect(e.rawMessage).toContain('no HTTP/2 connection within connectTimeoutMs=200 ms');
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('enforces its deadline with DEADLINE_EXCEEDED and sends grpc-timeout', async () => {
    let seenTimeout: number | undefined;
    const server = await lean(() => new Promise(() => {}));
    const raw = await rawServer((s, h) => {
      seenTimeout = Number.parseInt(String(h['grpc-timeout']), 10);
      s.on('data', () => {});
    });
    const e = await client(server.port)
      .unary(UNARY, enc('x'), { timeoutMs: 150 })
      .catch((err) => err);
    expect(e.code).toBe(Code.DeadlineExceeded);
    const t0 = Date.now();
    const e2 = await client(raw.port)
      .unary(UNARY, enc('x'), { timeoutMs: 200 })
      .catch((err) => err);
    expect(e2.code).toBe(Code.DeadlineExceeded);
    expect(e2.rawMessage).toContain('within 200 ms');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(seenTimeout).toBe(200);
  });

  it('cancels with CANCELED on AbortSignal, before and during the call', async () => {
    const server = await lean(() => new Promise(() => {}));
    const c = client(server.port);
    const early = await c.unary(UNARY, enc('x'), { signal: AbortSignal.abort() }).catch((err) => err);
    expect(early.code).toBe(Code.Canceled);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('user gave up')), 100);
    const late = await c.unary(UNARY, enc('x'), { signal: ac.signal }).catch((err) => err);
    expect(late.code).toBe(Code.Canceled);
    expect(late.rawMessage).toContain('user gave up');
  });

  it('reconnects after the server sends GOAWAY and after a restart on the same port', async () => {
    const raw = await rawServer((s) => {
      s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
      s.end(encodeFrame(enc('ok')));
    });
    const c = client(raw.port);
    expect(dec((await c.unary(UNARY, enc('1'))).message)).toBe('ok');
    for (const s of raw.sessions) s.close(); // GOAWAY
    await sleep(50);
    expect(dec((await c.unary(UNARY, enc('2'))).message)).toBe('ok');
    expect(raw.sessions.size).toBe(2);

    const first = await startLeanGrpcServer({ unary: { [UNARY]: () => enc('first') } });
    const port = first.port;
    const c2 = client(port);
    expect(dec((await c2.unary(UNARY, enc('x'))).message)).toBe('first');
    await first.close(50);
    const down = await c2.unary(UNARY, enc('x')).catch((err) => err);
    expect(down.code).toBe(Code.Unavailable);
    const second = await lean(() => enc('second'), port);
    expect(second.port).toBe(port);
    expect(dec((await c2.unary(UNARY, enc('x'))).message)).toBe('second');
  });

  it('maps HTTP errors, missing status and a stream reset to gRPC codes', async () => {
    const raw = await rawServer((s, h) => {
      const p = h[':path'];
      if (p === '/t.S/Http503') s.respond({ ':status': 503 }, { endStream: true });
      else if (p === '/t.S/NoStatus') {
        s.respond({ ':status': 200, 'content-type': 'application/grpc' });
        s.end(encodeFrame(enc('x')));
      } else if (p === '/t.S/Reset') s.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
      else if (p === '/t.S/Two') {
        s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
        s.end(Buffer.concat([encodeFrame(enc('a')), encodeFrame(enc('b'))]));
      }
    });
    const c = client(raw.port);
    const code = async (path: string) =>
      ((await c.unary(path, enc('x')).catch((e) => e)) as ConnectError).code;
    expect(await code('/t.S/Http503')).toBe(Code.Unavailable);
    expect(await code('/t.S/NoStatus')).toBe(Code.Internal);
    expect(await code('/t.S/Reset')).toBe(Code.ResourceExhausted);
    expect(await code('/t.S/Two')).toBe(Code.Unimplemented);
  });

  it('rejects messages over maxMessageBytes with RESOURCE_EXHAUSTED, both ways', async () => {
    const server = await lean(() => new Uint8Array(5000));
    const c = client(server.port, { maxMessageBytes: 1000 });
    const out = await c.unary(UNARY, new Uint8Array(2000)).catch((e) => e);
    expect(out.code).toBe(Code.ResourceExhausted);
    const back = await c.unary(UNARY, new Uint8Array(10)).catch((e) => e);
    expect(back.code).toBe(Code.ResourceExhausted);
    expect(back.rawMessage).toContain('5000 bytes');
  });

  it('reuses one session for concurrent calls', async () => {
    const raw = await rawServer((s) => {
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('end', () =>
        setTimeout(() => {
          s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
          s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
          s.end(Buffer.concat(chunks));
        }, 5),
      );
    });
    const c = client(raw.port);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => c.unary(UNARY, enc(String(i)))));
    expect(results.map((r) => dec(r.message))).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
    expect(raw.sessions.size).toBe(1);
    // Large windows: the stream window in SETTINGS and the connection window via WINDOW_UPDATE.
    const session = [...raw.sessions][0]!;
    expect(session.remoteSettings.initialWindowSize).toBe(16 * 1024 * 1024);
    expect(session.state.remoteWindowSize).toBeGreaterThan(8 * 1024 * 1024);
  });

  it('fails in-flight calls with CANCELED on close, and later calls too', async () => {
    const server = await lean(() => new Promise(() => {}));
    const c = client(server.port);
    const slow = c.unary(UNARY, enc('slow')).catch((e) => e);
    await sleep(50);
    c.close();
    expect((await slow).code).toBe(Code.Canceled);
    const after = await c.unary(UNARY, enc('x')).catch((e) => e);
    expect(after.code).toBe(Code.Canceled);
  });

  it('speaks TLS (https) to a lean server with a certificate, and refuses one it does not trust', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-lean-tls-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(join(dir, 'cert.pem'));
    const server = await startLeanGrpcServer({
      tls: { cert, key: readFileSync(join(dir, 'key.pem')) },
      unary: { [UNARY]: (b) => b },
    });
    cleanup.push(() => server.close(100));
    const trusted = createLeanClient(`https://127.0.0.1:${server.port}`, { ca: cert });
    cleanup.push(() => trusted.close());
    expect(dec((await trusted.unary(UNARY, enc('secret'))).message)).toBe('secret');
    const untrusted = createLeanClient(`https://127.0.0.1:${server.port}`);
    cleanup.push(() => untrusted.close());
    const e = await untrusted.unary(UNARY, enc('x')).catch((err) => err);
    expect(e.code).toBe(Code.Unavailable);
    expect(e.rawMessage).toMatch(/certificate/i);
  });

  it('rejects a base URL that is not http(s)://host:port', () => {
    expect(() => createLeanClient('127.0.0.1:80')).toThrow(/scheme must be http or https|invalid base URL/);
    expect(() => createLeanClient('not a url')).toThrow(/invalid base URL/);
  });
});
