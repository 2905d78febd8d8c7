// Case 10 (TLS): mutual TLS at every door; wrong CA, expired certificates and missing client
// certificates are refused in the handshake with an error that says why (never retried into work);
// plaintext against a TLS door and TLS against a plaintext one get a TlsError from @weft/client that
// says what to use instead, over every protocol, without a retry.
import * as http2 from 'node:http2';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { toBinary } from '@bufbuild/protobuf';
import { createDataRequest } from '@weft/core';
import { Client, TlsError } from '@weft/client';
import { DocumentArray } from '@weft/docarray';
import { Executor, requests, serveExecutor, type Worker } from '@weft/executor-runtime';
import { type Gateway, startGateway } from '@weft/gateway';
import { DataRequestProtoSchema } from '@weft/proto';
import pino from 'pino';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FaultProxy } from './fault-proxy.js';
import { makePki, type TestPki } from './test-fixtures/certs.js';
import { viaGrpc, viaHttp, viaWebSocket } from './test-fixtures/doors.js';

/** Requests the executor ran: none may come from a refused client. */
let served = 0;
class CountingTagger extends Executor {
  @requests()
  tag(docs: DocumentArray) {
    served++;
    for (const d of docs) d.text += ';';
  }
}

let pki: TestPki;
let worker: Worker;
let gw: Gateway;
let expired: Gateway;
let plain: Gateway;
beforeAll(async () => {
  pki = makePki();
  worker = await serveExecutor({ uses: CountingTagger, name: 't' });
  const common = {
    graph: { 'start-gateway': ['t'], t: ['end-gateway'] },
    addresses: { t: [`127.0.0.1:${worker.port}`] },
    protocol: ['grpc', 'http', 'websocket'] as const,
    logger: pino({ level: 'silent' }),
  };
  gw = await startGateway({ ...common, tls: { ...pki.server, caFile: pki.caFile } });
  expired = await startGateway({ ...common, tls: pki.expiredServer });
  plain = await startGateway(common);
}, 60_000);
afterAll(async () => {
  await gw?.close(1000);
  await expired?.close(1000);
  await plain?.close(1000);
  await worker?.close(1000);
  pki?.cleanup();
});

/** A TLS handshake (and one read) against `port`; resolves 'ok' or the error code and message. */
function handshake(port: number, opts: ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ALPNProtocols: ['h2', 'http/1.1'], ...opts });
    const timer = setTimeout(() => {
      s.destroy();
      resolve('timeout');
    }, 5000);
    s.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(`${e.code}: ${e.message}`);
    });
    // With TLS 1.3 the server judges the client certificate after the client's Finished: read to see it.
    s.on('secureConnect', () =>
      setTimeout(() => {
        clearTimeout(timer);
        s.destroy();
        resolve('ok');
      }, 300),
    );
    s.on('data', () => {});
  });
}

const frame = (() => {
  const m = toBinary(DataRequestProtoSchema, createDataRequest({ docs: DocumentArray.empty(1) }));
  const b = Buffer.alloc(5 + m.byteLength);
  b.writeUInt32BE(m.byteLength, 1);
  b.set(m, 5);
  return b;
})();

/** One gRPC call over TLS with `opts`; resolves '<grpc-status> <grpc-message>' or the error. */
function viaGrpcTls(port: number, opts: ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, opts);
    session.on('error', (e) => resolve(`error ${e.message}`));
    const s = session.request({
      ':method': 'POST',
      ':path': '/jina.JinaSingleDataRequestRPC/process_single_data',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let st = '';
    const take = (h: http2.IncomingHttpHeaders) => {
      if (h['grpc-status'] !== undefined)
        st = `${h['grpc-status']} ${decodeURIComponent(String(h['grpc-message'] ?? ''))}`;
    };
    s.on('response', take);
    s.on('trailers', take);
    s.on('data', () => {});
    s.on('error', (e) => (st ||= `error ${e.message}`));
    s.on('close', () => {
      session.destroy();
      resolve(st);
    });
    s.end(frame);
  });
}

async function viaHttpTls(port: number, opts: ConnectionOptions): Promise<string> {
  const agent = new Agent({ connect: opts });
  try {
    const res = await fetch(`https://127.0.0.1:${port}/post`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data: [{ text: 'x' }] }),
      dispatcher: agent,
      signal: AbortSignal.timeout(10_000),
    });
    return `${res.status} ${await res.text()}`;
  } catch (err) {
    return `error ${String((err as Error).cause ?? err)}`;
  } finally {
    await agent.close();
  }
}

function viaWsTls(port: number, opts: ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const s = new WebSocket(`wss://127.0.0.1:${port}/`, 'json', opts);
    s.on('error', (e) => resolve(`error ${e.message}`));
    s.on('open', () => s.send(JSON.stringify({ data: [{ text: 'x' }] })));
    s.on('message', (m) => {
      resolve(`answer ${String(m).slice(0, 40)}`);
      s.close();
    });
    s.on('close', (code, reason) => resolve(`${code} ${String(reason)}`));
  });
}

const good = () => ({ ca: pki.ca, cert: pki.client.cert, key: pki.client.key });

describe('case 10: TLS and mutual TLS at every door', () => {
  it('a client with a certificate of the gateway CA gets answers at every door', async () => {
    const session = http2.connect(`https://127.0.0.1:${gw.ports.grpc}`, good());
    session.on('error', () => {});
    const frame = toBinary(DataRequestProtoSchema, createDataRequest({ docs: DocumentArray.empty(1) }));
    const status = await new Promise<string>((resolve) => {
      const s = session.request({
        ':method': 'POST',
        ':path': '/jina.JinaSingleDataRequestRPC/process_single_data',
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      let st = '';
      s.on('trailers', (t) => (st = String(t['grpc-status'])));
      s.on('data', () => {});
      s.on('error', (e) => (st = String(e)));
      s.on('close', () => resolve(st));
      const b = Buffer.alloc(5 + frame.byteLength);
      b.writeUInt32BE(frame.byteLength, 1);
      b.set(frame, 5);
      s.end(b);
    });
    session.destroy();
    expect(status).toBe('0');
    const agent = new Agent({ connect: good() });
    const res = await fetch(`https://127.0.0.1:${gw.ports.http}/post`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data: [{ text: 'x' }] }),
      dispatcher: agent,
    });
    expect(((await res.json()) as { data: { text: string }[] }).data[0]!.text).toBe('x;');
    await agent.close();
    const answer = await new Promise<string>((resolve, reject) => {
      const s = new WebSocket(`wss://127.0.0.1:${gw.ports.websocket}/`, 'json', good());
      s.on('error', reject);
      s.on('open', () => s.send(JSON.stringify({ data: [{ text: 'x' }] })));
      s.on('message', (m) => {
        resolve(JSON.parse(String(m)).data[0].text);
        s.close();
      });
    });
    expect(answer).toBe('x;');
  });

  it('missing, foreign or expired client certificates get UNAUTHENTICATED / 401 / close 1008 naming the certificate error', async () => {
    const bad = {
      none: { ca: pki.ca },
      otherCa: { ca: pki.ca, cert: pki.clientOfOtherCa.cert, key: pki.clientOfOtherCa.key },
      expired: { ca: pki.ca, cert: pki.expiredClient.cert, key: pki.expiredClient.key },
    };
    const seen: Record<string, string> = {};
    for (const [name, opts] of Object.entries(bad)) {
      const [g, h, w] = [
        await viaGrpcTls(gw.ports.grpc!, opts),
        await viaHttpTls(gw.ports.http!, opts),
        await viaWsTls(gw.ports.websocket!, opts),
      ];
      seen[name] = g;
      expect(g).toMatch(/^16 unauthenticated: client certificate refused/);
      expect(h).toMatch(/^401 .*client certificate refused/);
      expect(w).toMatch(/^1008 Unauthenticated: client certificate refused/);
    }
    expect(seen.none).toMatch(/none was sent/);
    expect(seen.otherCa).toMatch(/it is not signed by the gateway's CA/);
    expect(seen.expired).toMatch(/the certificate has expired \(CERT_HAS_EXPIRED\)/);
    console.log(`[case 10] mTLS refusals: ${JSON.stringify(seen)}`);
  });

  it('a client that does not trust the gateway (wrong CA) or meets an expired server certificate fails its handshake, saying why', async () => {
    for (const door of ['grpc', 'http', 'websocket'] as const) {
      expect(await handshake(gw.ports[door]!, { ...good(), ca: pki.otherCa })).toMatch(
        /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_VERIFY/,
      );
      expect(await handshake(expired.ports[door]!, { ca: pki.ca })).toMatch(
        /CERT_HAS_EXPIRED: certificate has expired/,
      );
      expect(await handshake(gw.ports[door]!, good())).toBe('ok');
    }
  });

  it('plaintext against a TLS door: @weft/client fails at once, not retried, with a TlsError saying to use TLS (every protocol)', async () => {
    const seen: Record<string, string> = {};
    for (const protocol of ['grpc', 'http', 'websocket', 'grpc-web'] as const) {
      const door = protocol === 'grpc-web' ? 'http' : protocol;
      // Through a counting proxy: the attempt and the client's one TLS probe, no retry.
      const proxy = await FaultProxy.start({ port: gw.ports[door]! });
      const c = new Client({ port: proxy.port, protocol });
      const t0 = performance.now();
      const err = await c
        .post('/', DocumentArray.empty(1), { maxAttempts: 3, initialBackoff: 3000, timeoutMs: 10_000 })
        .catch((e: unknown) => e);
      const ms = performance.now() - t0;
      c.close();
      await proxy.close();
      seen[protocol] = `${(err as Error).message} (${ms.toFixed(0)} ms, ${proxy.stats.accepted} connections)`;
      const tlsScheme = { grpc: 'grpcs', http: 'https', websocket: 'wss', 'grpc-web': 'https' }[protocol];
      expect(err).toBeInstanceOf(TlsError);
      expect((err as TlsError).retryable).toBe(false);
      expect((err as Error).message).toBe(
        `${c.address}: the gateway at 127.0.0.1:${proxy.port} speaks TLS (it refused this plaintext connection and completes a TLS handshake); connect with tls: true or ${tlsScheme}://127.0.0.1:${proxy.port}`,
      );
      expect(proxy.stats.accepted).toBeLessThanOrEqual(2);
      expect(ms).toBeLessThan(1500); // a retry would wait ≥ 1.5 s first
    }
    console.log(`[case 10] plaintext against TLS: ${JSON.stringify(seen)}`);
  });

  it('TLS against a plaintext door: @weft/client fails at once with a TlsError saying the port may be plaintext (every protocol)', async () => {
    const seen: Record<string, string> = {};
    for (const protocol of ['grpc', 'http', 'websocket', 'grpc-web'] as const) {
      const door = protocol === 'grpc-web' ? 'http' : protocol;
      const port = plain.ports[door]!;
      const c = new Client({ port, protocol, tls: { ca: pki.ca } });
      const err = await c
        .post('/', DocumentArray.empty(1), { maxAttempts: 3, initialBackoff: 3000, timeoutMs: 10_000 })
        .catch((e: unknown) => e);
      c.close();
      seen[protocol] = (err as Error).message;
      const plainScheme = { grpc: 'grpc', http: 'http', websocket: 'ws', 'grpc-web': 'http' }[protocol];
      expect(err).toBeInstanceOf(TlsError);
      expect((err as TlsError).retryable).toBe(false);
      expect((err as Error).message).toMatch(
        new RegExp(
          `^${c.address}: the server at 127\\.0\\.0\\.1:${port} did not answer TLS \\((wrong version number|packet length too long), ERR_SSL_\\w+\\); it may be plaintext: connect with tls: false or ${plainScheme}://127\\.0\\.0\\.1:${port}$`,
        ),
      );
    }
    console.log(`[case 10] TLS against plaintext: ${JSON.stringify(seen)}`);
  });

  it('plaintext against a TLS door reaches no executor', async () => {
    const before = served;
    const grpc = await viaGrpc(gw.ports.grpc!, { timeoutMs: 5000 });
    const http = await viaHttp(gw.ports.http!, { timeoutMs: 5000 }).catch((e: Error) => ({
      ok: false,
      message: String(e.cause ?? e),
    }));
    const ws = await viaWebSocket(gw.ports.websocket!, { timeoutMs: 5000 }).catch((e: Error) => ({
      ok: false,
      message: e.message,
    }));
    for (const o of [grpc, http, ws]) expect(o.ok).toBe(false);
    expect(served).toBe(before);
  });
});
