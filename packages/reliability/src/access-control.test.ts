// Case 10 (tokens): refused with a non-retryable error that says why, before any work is done.
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createDataRequest, requestDocs } from '@weft/core';
import { createWeftTransport } from '@weft/core/grpc';
import { DocumentArray } from '@weft/docarray';
import { Executor, requests, serveExecutor, type Worker } from '@weft/executor-runtime';
import { type Gateway, startGateway } from '@weft/gateway';
import { Health, JinaSingleDataRequestRPC } from '@weft/proto';
import pino from 'pino';
import { fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const TOKEN = 's3cret-token';
let seen = 0;
class Counter extends Executor {
  @requests()
  run(docs: DocumentArray) {
    seen++;
    for (const d of docs) d.text += ';';
  }
}

let worker: Worker;
let open: Gateway;
let closed: Gateway;
const graph = { 'start-gateway': ['c'], c: ['end-gateway'] };
beforeAll(async () => {
  worker = await serveExecutor({ uses: Counter, name: 'c' });
  const common = {
    graph,
    addresses: { c: [`127.0.0.1:${worker.port}`] },
    protocol: ['grpc', 'http', 'websocket'] as const,
    monitoring: { port: 0 },
    logger: pino({ level: 'silent' }),
  };
  open = await startGateway({ ...common, auth: { tokens: [TOKEN], verify: (t) => t.startsWith('hook-') } });
  closed = await startGateway({ ...common, auth: { tokens: [TOKEN], publicHealth: false } });
}, 30_000);
afterAll(async () => {
  await open?.close(1000);
  await closed?.close(1000);
  await worker?.close(1000);
});

async function grpc(port: number, token?: string) {
  const t = createWeftTransport(`http://127.0.0.1:${port}`);
  try {
    const c = createClient(JinaSingleDataRequestRPC, t.transport);
    const res = await c.process_single_data(createDataRequest({ docs: new DocumentArray([{ text: 'x' }]) }), {
      timeoutMs: 10_000,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    return { ok: true as const, texts: requestDocs(res).texts };
  } catch (err) {
    const ce = ConnectError.from(err);
    return { ok: false as const, code: ce.code, message: ce.rawMessage };
  } finally {
    t.close();
  }
}

async function http(port: number, path: string, token?: string, method = 'POST') {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: {
      ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: method === 'POST' ? JSON.stringify({ data: [{ text: 'x' }] }) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, auth: res.headers.get('www-authenticate'), body: await res.text() };
}

function ws(port: number, opts: { header?: string; query?: string } = {}) {
  return new Promise<{ answer?: string; close?: number; reason?: string }>((resolve, reject) => {
    const s = new WebSocket(
      `ws://127.0.0.1:${port}/${opts.query ? `?access_token=${encodeURIComponent(opts.query)}` : ''}`,
      'json',
      { headers: opts.header ? { authorization: `Bearer ${opts.header}` } : {} },
    );
    const timer = setTimeout(() => reject(new Error('no answer or close in 10 s')), 10_000);
    s.on('error', () => {});
    s.on('open', () => s.send(JSON.stringify({ data: [{ text: 'x' }] })));
    s.on('message', (m) => {
      clearTimeout(timer);
      resolve({ answer: JSON.parse(String(m)).data[0].text });
      s.close();
    });
    s.on('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ close: code, reason: String(reason) });
    });
  });
}

describe('case 10: bearer tokens at every door', () => {
  it('no token or a bad token is refused with UNAUTHENTICATED / 401 / close 1008 saying why, and reaches no executor', async () => {
    const before = seen;
    const g = open.ports;
    expect(await grpc(g.grpc!)).toMatchObject({
      ok: false,
      code: Code.Unauthenticated,
      message: /missing credentials/,
    });
    expect(await grpc(g.grpc!, 'wrong')).toMatchObject({
      ok: false,
      code: Code.Unauthenticated,
      message: /not valid/,
    });
    const h = await http(g.http!, '/post');
    expect(h).toMatchObject({ status: 401, auth: 'Bearer' });
    expect(h.body).toMatch(/missing credentials/);
    expect((await http(g.http!, '/post', 'wrong')).status).toBe(401);
    expect((await http(g.http!, '/status', 'wrong', 'GET')).status).toBe(401);
    expect(await ws(g.websocket!)).toMatchObject({
      close: 1008,
      reason: /Unauthenticated: missing credentials/,
    });
    expect(await ws(g.websocket!, { query: 'wrong' })).toMatchObject({ close: 1008, reason: /not valid/ });
    expect(seen).toBe(before);
  });

  it('a listed token or one the verify hook accepts passes at every door', async () => {
    const g = open.ports;
    expect(await grpc(g.grpc!, TOKEN)).toEqual({ ok: true, texts: ['x;'] });
    expect(await grpc(g.grpc!, 'hook-abc')).toEqual({ ok: true, texts: ['x;'] });
    expect((await http(g.http!, '/post', TOKEN)).status).toBe(200);
    expect((await http(g.http!, '/post', 'hook-1')).status).toBe(200);
    expect(await ws(g.websocket!, { header: TOKEN })).toEqual({ answer: 'x;' });
    expect(await ws(g.websocket!, { query: 'hook-2' })).toEqual({ answer: 'x;' });
  });

  it('health and /metrics stay open by default, and need the token with publicHealth: false', async () => {
    const check = async (port: number) => {
      const t = createWeftTransport(`http://127.0.0.1:${port}`);
      try {
        return await createClient(Health, t.transport)
          .check({}, { timeoutMs: 5000 })
          .then(
            (r) => `status ${r.status}`,
            (e: unknown) => Code[ConnectError.from(e).code],
          );
      } finally {
        t.close();
      }
    };
    expect(await check(open.ports.grpc!)).toBe('status 1');
    expect((await http(open.ports.http!, '/', undefined, 'GET')).status).toBe(200);
    expect((await http(open.monitoringPort!, '/metrics', undefined, 'GET')).status).toBe(200);

    expect(await check(closed.ports.grpc!)).toBe('Unauthenticated');
    expect((await http(closed.ports.http!, '/', undefined, 'GET')).status).toBe(401);
    expect((await http(closed.monitoringPort!, '/metrics', undefined, 'GET')).status).toBe(401);
    expect((await http(closed.monitoringPort!, '/metrics', TOKEN, 'GET')).status).toBe(200);
  });
});
