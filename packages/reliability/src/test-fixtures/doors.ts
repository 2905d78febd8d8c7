// One request through each gateway door, with what the door answered (for the failure cases).
import { type Code, ConnectError, createClient } from '@connectrpc/connect';
import { createDataRequest, requestDocs } from '@weft/core';
import { createWeftTransport } from '@weft/core/grpc';
import { DocumentArray } from '@weft/docarray';
import { JinaSingleDataRequestRPC } from '@weft/proto';
import { fetch } from 'undici';
import WebSocket from 'ws';

/** What a door answered: texts of the docs on success, else its error code and message. */
export type DoorOutcome =
  | { ok: true; texts: string[] }
  | { ok: false; grpcCode?: Code; httpStatus?: number; wsClose?: number; message: string };

/** One unary gRPC request (`process_single_data`) on a fresh connection. */
export async function viaGrpc(
  port: number,
  opts: { targetExecutor?: string; timeoutMs?: number } = {},
): Promise<DoorOutcome> {
  const t = createWeftTransport(`http://127.0.0.1:${port}`);
  try {
    const c = createClient(JinaSingleDataRequestRPC, t.transport);
    const res = await c.process_single_data(
      createDataRequest({ docs: new DocumentArray([{ text: 'x' }]), targetExecutor: opts.targetExecutor }),
      { timeoutMs: opts.timeoutMs ?? 20_000 },
    );
    return { ok: true, texts: requestDocs(res).texts };
  } catch (err) {
    const ce = ConnectError.from(err);
    return { ok: false, grpcCode: ce.code, message: ce.rawMessage };
  } finally {
    t.close();
  }
}

/** One `POST /post` on the HTTP door. */
export async function viaHttp(
  port: number,
  opts: { targetExecutor?: string; timeoutMs?: number } = {},
): Promise<DoorOutcome> {
  const res = await fetch(`http://127.0.0.1:${port}/post`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ data: [{ text: 'x' }], targetExecutor: opts.targetExecutor }),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 20_000),
  });
  const j = (await res.json()) as { data?: { text: string }[]; detail?: string; message?: string };
  if (res.status === 200) return { ok: true, texts: (j.data ?? []).map((d) => d.text) };
  return { ok: false, httpStatus: res.status, message: j.detail ?? j.message ?? JSON.stringify(j) };
}

/** One request on a fresh WebSocket (json subprotocol). */
export function viaWebSocket(
  port: number,
  opts: { targetExecutor?: string; timeoutMs?: number } = {},
): Promise<DoorOutcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, 'json');
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`WebSocket door: no answer or close in ${opts.timeoutMs ?? 20_000} ms`));
    }, opts.timeoutMs ?? 20_000);
    let done = false;
    ws.on('error', (err) => {
      clearTimeout(timer);
      if (!done) reject(err);
    });
    ws.on('open', () =>
      ws.send(JSON.stringify({ data: [{ text: 'x' }], targetExecutor: opts.targetExecutor })),
    );
    ws.on('message', (m) => {
      done = true;
      clearTimeout(timer);
      const j = JSON.parse(String(m)) as { data?: { text: string }[] };
      resolve({ ok: true, texts: (j.data ?? []).map((d) => d.text) });
      ws.close(1000);
    });
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      if (!done) {
        done = true;
        resolve({ ok: false, wsClose: code, message: String(reason) });
      }
    });
  });
}
