import type * as http2 from 'node:http2';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { Health, HealthCheckResponse_ServingStatus } from '@weft/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { registerHealth, ServingStatus } from './health.js';
import { createLeanClient, type LeanClient } from './lean-client.js';
import { type LeanGrpcServerOptions, type LeanCallContext, startLeanGrpcServer } from './lean-server.js';
import type { GrpcServer } from './server.js';
import { frames, rawCall, rawSession, statusOf } from './test-fixtures/lean-raw.js';
import { createWeftTransport } from './transport.js';

const UNARY = '/test.Lean/Unary';
const BIDI = '/test.Lean/Bidi';
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const open: { servers: GrpcServer[]; sessions: http2.ClientHttp2Session[]; clients: LeanClient[] } = {
  servers: [],
  sessions: [],
  clients: [],
};
afterEach(async () => {
  for (const c of open.clients.splice(0)) c.close();
  for (const s of open.sessions.splice(0)) s.destroy();
  await Promise.all(open.servers.splice(0).map((s) => s.close(100)));
});

async function serve(options: LeanGrpcServerOptions) {
  const server = await startLeanGrpcServer(options);
  open.servers.push(server);
  const session = rawSession(server.port);
  open.sessions.push(session);
  const client = createLeanClient(`http://127.0.0.1:${server.port}`);
  open.clients.push(client);
  return { server, session, client };
}

/** A bidi handler that answers each request with its upper-case text. */
async function* upper(requests: AsyncIterable<Uint8Array>) {
  for await (const r of requests) yield enc(dec(r).toUpperCase());
}

describe('lean server: unary', () => {
  it('answers over raw bytes with headers, metadata and trailers', async () => {
    let seen: LeanCallContext | undefined;
    const { session } = await serve({
      unary: {
        [UNARY]: (req, ctx) => {
          seen = ctx;
          ctx.responseHeader.set('x-answer', 'yes');
          ctx.responseTrailer.set('is-error', 'true');
          return enc(`echo:${dec(req)}`);
        },
      },
    });
    const a = await rawCall(session, UNARY, frames(enc('hi')), { 'x-trace': 'abc', 'grpc-timeout': '5S' });
    expect(a.headers[':status']).toBe(200);
    expect(a.headers['content-type']).toBe('application/grpc+proto');
    expect(a.headers['x-answer']).toBe('yes');
    expect(a.messages.map(dec)).toEqual(['echo:hi']);
    expect(statusOf(a)).toEqual({ code: 0, message: undefined });
    expect(a.trailers?.['is-error']).toBe('true');
    expect(seen!.requestHeader.get('x-trace')).toBe('abc');
    expect(seen!.requestHeader.has('content-type')).toBe(false);
    expect(seen!.path).toBe(UNARY);
    expect(seen!.timeoutMs).toBe(5000);
  });

  it('sends a message given in parts, small or large, as one message', async () => {
    const big = new Uint8Array(100_000).map((_, i) => i % 253);
    const { client } = await serve({
      unary: {
        [UNARY]: (req) =>
          dec(req) === 'big'
            ? [big.subarray(0, 10), new Uint8Array(0), big.subarray(10)]
            : [enc('he'), enc('llo')],
      },
    });
    expect(dec((await client.unary(UNARY, enc('small'))).message)).toBe('hello');
    const r = await client.unary(UNARY, enc('big'));
    expect(Buffer.compare(Buffer.from(r.message), Buffer.from(big))).toBe(0);
  });

  it('reads a message split across DATA chunks', async () => {
    const { session } = await serve({ unary: { [UNARY]: (req) => req } });
    const payload = new Uint8Array(200_000).map((_, i) => i & 0xff);
    const framed = frames(payload)[0]!;
    const chunks = [
      framed.subarray(0, 2),
      framed.subarray(2, 4),
      framed.subarray(4, 1000),
      framed.subarray(1000),
    ];
    const a = await rawCall(session, UNARY, chunks, {}, 20);
    expect(statusOf(a).code).toBe(0);
    expect(Buffer.compare(a.messages[0]!, Buffer.from(payload))).toBe(0);
  });

  it('rejects zero or several request messages on a unary method', async () => {
    const { session } = await serve({ unary: { [UNARY]: (req) => req } });
    const none = await rawCall(session, UNARY, []);
    expect(statusOf(none).code).toBe(Code.Unimplemented);
    const two = await rawCall(session, UNARY, frames(enc('a'), enc('b')));
    expect(statusOf(two).code).toBe(Code.Unimplemented);
    expect(statusOf(two).message).toContain('exactly one request message, got 2');
  });

  it('maps thrown errors to grpc-status with a percent-encoded grpc-message and error metadata', async () => {
    const { session, client } = await serve({
      unary: {
        [UNARY]: (req) => {
          if (dec(req) === 'plain') throw new Error('plain failure');
          throw new ConnectError('no such doc: 100% ünïcode', Code.NotFound, { 'x-detail': 'd1' });
        },
      },
    });
    const a = await rawCall(session, UNARY, frames(enc('x')));
    expect(a.headers['grpc-status']).toBe(String(Code.NotFound)); // trailers-only
    expect(a.headers['grpc-message']).toBe('no such doc: 100%25 %C3%BCn%C3%AFcode');
    expect(a.headers['x-detail']).toBe('d1');
    const err = await client.unary(UNARY, enc('x')).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect(err.code).toBe(Code.NotFound);
    expect(err.rawMessage).toBe('no such doc: 100% ünïcode');
    expect(err.metadata.get('x-detail')).toBe('d1');
    const plain = await client.unary(UNARY, enc('plain')).catch((e) => e);
    expect(plain.code).toBe(Code.Unknown);
    expect(plain.rawMessage).toBe('plain failure');
  });

  it('fails with DEADLINE_EXCEEDED when grpc-timeout passes and aborts the handler signal', async () => {
    let reason: unknown;
    const { session } = await serve({
      unary: {
        [UNARY]: (_req, ctx) =>
          new Promise<Uint8Array>((resolve) => {
            ctx.signal.addEventListener('abort', () => {
              reason = ctx.signal.reason;
              setTimeout(() => resolve(enc('late')), 10);
            });
          }),
      },
    });
    const t0 = Date.now();
    const a = await rawCall(session, UNARY, frames(enc('x')), { 'grpc-timeout': '150m' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(statusOf(a).code).toBe(Code.DeadlineExceeded);
    expect(a.messages).toHaveLength(0);
    await sleep(50);
    expect((reason as ConnectError).code).toBe(Code.DeadlineExceeded);
  });

  it('rejects a malformed grpc-timeout with INVALID_ARGUMENT', async () => {
    const { session } = await serve({ unary: { [UNARY]: (req) => req } });
    const a = await rawCall(session, UNARY, frames(enc('x')), { 'grpc-timeout': 'soon' });
    expect(statusOf(a).code).toBe(Code.InvalidArgument);
    expect(statusOf(a).message).toContain("invalid grpc-timeout header 'soon'");
  });

  it('aborts the handler signal with CANCELED when the client cancels', async () => {
    let reason: unknown;
    const aborted = new Promise<void>((resolve) => {
      void serve({
        unary: {
          [UNARY]: (_req, ctx) =>
            new Promise<Uint8Array>(() => {
              ctx.signal.addEventListener('abort', () => {
                reason = ctx.signal.reason;
                resolve();
              });
            }),
        },
      }).then(({ client }) => {
        const ac = new AbortController();
        const p = client.unary(UNARY, enc('x'), { signal: ac.signal }).catch((e) => e);
        setTimeout(() => ac.abort(), 100);
        void p.then((e) => expect(e.code).toBe(Code.Canceled));
      });
    });
    await aborted;
    expect((reason as ConnectError).code).toBe(Code.Canceled);
  });

  it('survives handlers that answer after the client went away, sync or async', async () => {
    let answered = 0;
    const { client } = await serve({
      unary: {
        [UNARY]: async (req) => {
          if (dec(req) === 'late') await sleep(150);
          answered++;
          return req;
        },
      },
    });
    const calls = Array.from({ length: 5 }, () => {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 30);
      return client.unary(UNARY, enc('late'), { signal: ac.signal }).catch((e) => e.code);
    });
    expect(await Promise.all(calls)).toEqual(Array(5).fill(Code.Canceled));
    await sleep(250);
    expect(answered).toBe(5);
    expect(dec((await client.unary(UNARY, enc('after'))).message)).toBe('after');
  });

  it('enforces maxMessageBytes on requests and responses with RESOURCE_EXHAUSTED', async () => {
    const { session, client } = await serve({
      maxMessageBytes: 1000,
      unary: { [UNARY]: (req) => (dec(req) === 'big' ? new Uint8Array(2000) : req) },
    });
    const a = await rawCall(session, UNARY, frames(new Uint8Array(5000)));
    expect(statusOf(a).code).toBe(Code.ResourceExhausted);
    expect(statusOf(a).message).toContain('5000 bytes is larger than the limit of 1000 bytes');
    const b = await client.unary(UNARY, enc('big')).catch((e) => e);
    expect(b.code).toBe(Code.ResourceExhausted);
    expect(b.rawMessage).toContain('response message of 2000 bytes');
    // The session survives both.
    expect(dec((await client.unary(UNARY, enc('ok'))).message)).toBe('ok');
  });

  it('rejects compressed messages with UNIMPLEMENTED and says what to do', async () => {
    const { session } = await serve({ unary: { [UNARY]: (req) => req } });
    const framed = frames(enc('x'))[0]!;
    framed[0] = 1;
    const a = await rawCall(session, UNARY, [framed], { 'grpc-encoding': 'gzip' });
    expect(statusOf(a).code).toBe(Code.Unimplemented);
    expect(statusOf(a).message).toMatch(/compressed with 'gzip'.*identity/);
  });

  it('answers a handler that returns something other than bytes with INTERNAL', async () => {
    const { client } = await serve({ unary: { [UNARY]: () => 'oops' as unknown as Uint8Array } });
    const e = await client.unary(UNARY, enc('x')).catch((err) => err);
    expect(e.code).toBe(Code.Internal);
    expect(e.rawMessage).toContain('not a Uint8Array');
  });

  it('rejects a handler path that is not /package.Service/Method', async () => {
    await expect(startLeanGrpcServer({ unary: { process_single_data: (b) => b } })).rejects.toThrow(
      /not a gRPC path/,
    );
  });
});

describe('lean server: bidi streaming', () => {
  it('answers several frames per stream, in order, split and coalesced', async () => {
    const { session } = await serve({ bidi: { [BIDI]: upper } });
    const all = Buffer.concat(frames(enc('a'), enc('bb'), enc('ccc'), enc('dddd')));
    // Two frames and a half in one chunk, then the rest in pieces.
    const chunks = [all.subarray(0, 16), all.subarray(16, 19), all.subarray(19)];
    const a = await rawCall(session, BIDI, chunks, {}, 10);
    expect(a.messages.map(dec)).toEqual(['A', 'BB', 'CCC', 'DDDD']);
    expect(statusOf(a).code).toBe(0);
  });

  it('sends the error status in trailers after messages already sent', async () => {
    const { session } = await serve({
      bidi: {
        [BIDI]: async function* (reqs) {
          for await (const r of reqs) {
            if (dec(r) === 'stop') throw new ConnectError('stopped here', Code.FailedPrecondition);
            yield r;
          }
        },
      },
    });
    const a = await rawCall(session, BIDI, frames(enc('one'), enc('stop'), enc('never')));
    expect(a.messages.map(dec)).toEqual(['one']);
    expect(a.trailers?.['grpc-status']).toBe(String(Code.FailedPrecondition));
    expect(a.trailers?.['grpc-message']).toBe('stopped here');
  });

  it('holds back a producer the client does not read (response backpressure)', async () => {
    let produced = 0;
    const mib = new Uint8Array(1 << 20);
    const { session } = await serve({
      bidi: {
        [BIDI]: async function* () {
          for (let i = 0; i < 100; i++) {
            produced++;
            yield mib;
          }
        },
      },
    });
    const stream = session.request({
      ':method': 'POST',
      ':path': BIDI,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    stream.on('error', () => {});
    stream.end();
    stream.pause();
    await sleep(500);
    // Bounded by the flow-control window (16 MiB) plus socket and stream buffers, far below 100.
    expect(produced).toBeLessThan(60);
    let bytes = 0;
    stream.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    stream.resume();
    await new Promise((r) => stream.on('close', r));
    expect(produced).toBe(100);
    expect(bytes).toBe(100 * (5 + (1 << 20)));
  });

  it('pauses reading requests the handler does not consume, and loses none', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let count = 0;
    const { session } = await serve({
      streamHighWaterMark: 4,
      bidi: {
        [BIDI]: async function* (reqs) {
          await gate;
          let sum = 0;
          for await (const r of reqs) {
            count++;
            sum += r[0]!;
          }
          yield enc(String(sum));
        },
      },
    });
    const msgs = Array.from({ length: 200 }, (_, i) => new Uint8Array(64 * 1024).fill(i & 0xff));
    const answer = rawCall(session, BIDI, frames(...msgs));
    await sleep(300);
    expect(count).toBe(0);
    release();
    const a = await answer;
    expect(count).toBe(200);
    expect(a.messages.map(dec)).toEqual([String(msgs.reduce((s, m) => s + m[0]!, 0))]);
  });

  it('aborts the handler signal with CANCELED when the client goes away mid-stream', async () => {
    let reason: unknown;
    let received = 0;
    const done = new Promise<void>((resolve) => {
      void serve({
        bidi: {
          [BIDI]: async function* (reqs, ctx) {
            ctx.signal.addEventListener('abort', () => {
              reason = ctx.signal.reason;
              resolve();
            });
            try {
              for await (const r of reqs) {
                received++;
                yield r;
              }
            } catch {
              // the request iterable may end or throw, depending on what HTTP/2 reports first
            }
            await new Promise(() => {}); // long work after the requests: only the signal stops it
          },
        },
      }).then(({ session }) => {
        const s = session.request({ ':method': 'POST', ':path': BIDI, 'content-type': 'application/grpc' });
        s.on('error', () => {});
        s.write(frames(enc('x'))[0]);
        setTimeout(() => s.close(8 /* CANCEL */), 100);
      });
    });
    await done;
    expect(received).toBe(1);
    expect((reason as ConnectError).code).toBe(Code.Canceled);
  });
});

describe('lean server: the rest of the surface and the session', () => {
  it('hands other paths to connect-node on the same port (health, unknown methods)', async () => {
    const { server, session, client } = await serve({
      routes: (router) => registerHealth(router, () => ServingStatus.SERVING),
      unary: { [UNARY]: (req) => req },
    });
    const t = createWeftTransport(`http://127.0.0.1:${server.port}`);
    try {
      const health = createClient(Health, t.transport);
      expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    } finally {
      t.close();
    }
    const unknown = await rawCall(session, '/test.Lean/Missing', frames(enc('x')));
    expect(unknown.headers[':status']).toBe(404);
    const e = await client.unary('/test.Lean/Missing', enc('x')).catch((err) => err);
    expect(e.code).toBe(Code.Unimplemented);
  });

  it('advertises large flow-control windows and real stream limits', async () => {
    const { session } = await serve({ unary: { [UNARY]: (req) => req } });
    await rawCall(session, UNARY, frames(enc('x')));
    expect(session.remoteSettings.initialWindowSize).toBe(16 * 1024 * 1024);
    expect(session.remoteSettings.maxConcurrentStreams).toBe(1000);
  });

  it('moves a 20 MiB message both ways', async () => {
    const { client } = await serve({ unary: { [UNARY]: (req) => req } });
    const big = new Uint8Array(20 * 1024 * 1024).map((_, i) => i % 251);
    const r = await client.unary(UNARY, big, { timeoutMs: 20_000 });
    expect(Buffer.compare(Buffer.from(r.message), Buffer.from(big))).toBe(0);
  });

  it('closes sessions on close, aborts handlers still running after the grace period, destroys the rest', async () => {
    let reason: unknown;
    const server = await startLeanGrpcServer({
      unary: {
        [UNARY]: (_req, ctx) =>
          new Promise((_r, reject) =>
            ctx.signal.addEventListener('abort', () => {
              reason = ctx.signal.reason;
              reject(reason);
            }),
          ),
      },
    });
    const session = rawSession(server.port);
    open.sessions.push(session);
    const pending = rawCall(session, UNARY, frames(enc('x')));
    await sleep(100);
    const closed = new Promise((r) => session.on('close', r));
    const t0 = Date.now();
    await server.close(200);
    expect(Date.now() - t0).toBeLessThan(2000);
    await closed;
    const a = await pending;
    expect(statusOf(a).code === Code.Unavailable || a.rstCode !== 0).toBe(true);
    expect((reason as ConnectError).code).toBe(Code.Unavailable);
    expect((reason as ConnectError).rawMessage).toBe('the server is shutting down');
  });
});

describe('lean server: hooks for a door facing clients', () => {
  it('authorize refuses calls (lean and connect) trailers-only before any handler runs, sync or async', async () => {
    let ran = 0;
    const { session, server } = await serve({
      routes: (router) => registerHealth(router, () => ServingStatus.SERVING),
      unary: {
        [UNARY]: (req) => {
          ran++;
          return req;
        },
      },
      authorize: (headers) => {
        const who = headers['x-who'];
        if (who === 'ok') return undefined;
        if (who === 'later') return sleep(20).then(() => undefined);
        if (who === 'later-no')
          return sleep(20).then(() => new ConnectError('not you, later', Code.PermissionDenied));
        return new ConnectError('unauthenticated: who are you?', Code.Unauthenticated);
      },
    });
    const no = await rawCall(session, UNARY, frames(enc('x')));
    expect(statusOf(no)).toEqual({ code: Code.Unauthenticated, message: 'unauthenticated: who are you?' });
    expect(no.messages).toEqual([]);
    expect(statusOf(await rawCall(session, UNARY, frames(enc('x')), { 'x-who': 'later-no' })).code).toBe(
      Code.PermissionDenied,
    );
    expect(ran).toBe(0);
    const yes = await rawCall(session, UNARY, frames(enc('x')), { 'x-who': 'ok' });
    const later = await rawCall(session, UNARY, frames(enc('y')), { 'x-who': 'later' });
    expect([statusOf(yes).code, statusOf(later).code]).toEqual([0, 0]);
    expect(later.messages.map(dec)).toEqual(['y']);
    expect(ran).toBe(2);
    const t = createWeftTransport(`http://127.0.0.1:${server.port}`);
    try {
      const err = await createClient(Health, t.transport)
        .check({})
        .catch((e) => e);
      expect(ConnectError.from(err).code).toBe(Code.Unauthenticated);
    } finally {
      t.close();
    }
  });

  it('malformedRequestCode replaces the status of cut frames and wrong message counts', async () => {
    const { session } = await serve({
      unary: { [UNARY]: (req) => req },
      bidi: { [BIDI]: upper },
      malformedRequestCode: Code.InvalidArgument,
    });
    const cut = Buffer.from([0, 0, 0, 0, 9, 1, 2]);
    expect(statusOf(await rawCall(session, UNARY, [cut])).code).toBe(Code.InvalidArgument);
    expect(statusOf(await rawCall(session, UNARY, [])).code).toBe(Code.InvalidArgument);
    expect(statusOf(await rawCall(session, BIDI, [cut])).code).toBe(Code.InvalidArgument);
  });

  it('onSession sees every session and maxConnections caps them', async () => {
    const seen: http2.ServerHttp2Session[] = [];
    const { server, session } = await serve({
      unary: { [UNARY]: (req) => req },
      onSession: (s) => seen.push(s),
      maxConnections: 1,
    });
    expect(statusOf(await rawCall(session, UNARY, frames(enc('a')))).code).toBe(0);
    expect(seen.length).toBe(1);
    const second = rawSession(server.port);
    open.sessions.push(second);
    const closed = await new Promise<boolean>((resolve) => {
      second.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 2000).unref();
    });
    expect(closed).toBe(true);
    expect(seen.length).toBe(1);
  });
});
