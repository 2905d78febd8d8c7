// Case 6: SIGTERM under load, for the gateway and for an executor.
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createDataRequest, requestDocs } from '@weft/core';
import { createWeftTransport } from '@weft/core/grpc';
import { DocumentArray } from '@weft/docarray';
import { JinaSingleDataRequestRPC } from '@weft/proto';
import { connect } from 'node:net';
import { fetch } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, sleep, startExecutor, startGatewayProcess } from './test-fixtures/processes.js';

const SLEEP_MS = 1500;
afterEach(() => killAll());

/** Sends one request that makes the Sleeper sleep; resolves with the outcome, never rejects. */
async function grpcCall(
  port: number,
  sleepMs = SLEEP_MS,
): Promise<{ ok: boolean; code?: Code; message?: string; ms: number }> {
  const t = createWeftTransport(`http://127.0.0.1:${port}`);
  const t0 = performance.now();
  try {
    const c = createClient(JinaSingleDataRequestRPC, t.transport);
    const res = await c.process_single_data(
      createDataRequest({ docs: DocumentArray.empty(1), parameters: { sleepMs } }),
      { timeoutMs: 20_000 },
    );
    return { ok: requestDocs(res).at(0)!.tags.slept === sleepMs, ms: performance.now() - t0 };
  } catch (err) {
    const ce = ConnectError.from(err);
    return { ok: false, code: ce.code, message: ce.rawMessage, ms: performance.now() - t0 };
  } finally {
    t.close();
  }
}

async function httpCall(
  port: number,
  sleepMs = SLEEP_MS,
): Promise<{ ok: boolean; status?: number; error?: string }> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/post`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data: [{ text: 'x' }], parameters: { sleepMs } }),
      signal: AbortSignal.timeout(20_000),
    });
    const j = (await res.json()) as { data?: { tags?: { slept?: number } }[] };
    return { ok: res.status === 200 && j.data?.[0]?.tags?.slept === sleepMs, status: res.status };
  } catch (err) {
    return { ok: false, error: String((err as Error).cause ?? err) };
  }
}

/** Resolves once a TCP connect to `port` is refused (the listener closed); fails after 5 s. */
async function waitRefused(port: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
    });
    if (refused) return;
    await sleep(20);
  }
  throw new Error(`port ${port} still accepts connections 5 s after SIGTERM`);
}

describe('case 6: SIGTERM under load', () => {
  it('the gateway finishes its in-flight requests, refuses new ones cleanly and exits 0', async () => {
    const exec = await startExecutor('Sleeper', { name: 's', extra: ['--allow-concurrent'] });
    const gw = await startGatewayProcess({
      graph: { 'start-gateway': ['s'], s: ['end-gateway'] },
      addresses: { s: [`127.0.0.1:${exec.ports.grpc}`] },
      protocols: ['grpc', 'http'],
    });
    const inflight = [
      ...Array.from({ length: 16 }, () => grpcCall(gw.ports.grpc!)),
      ...Array.from({ length: 8 }, () => httpCall(gw.ports.http!)),
    ];
    await sleep(SLEEP_MS / 3);
    const termAt = performance.now();
    gw.child.kill('SIGTERM');
    // Late requests: sent once the doors stopped listening (SIGTERM handling races with a connect).
    await waitRefused(gw.ports.grpc!);
    await waitRefused(gw.ports.http!);
    const lateGrpc = await grpcCall(gw.ports.grpc!, 0);
    const lateHttp = await httpCall(gw.ports.http!, 0);
    const results = await Promise.all(inflight);
    const exit = await gw.exited;
    console.log(
      `[case 6] gateway: ${results.filter((r) => r.ok).length}/${results.length} in-flight completed; exit ${exit.code} ` +
        `${(performance.now() - termAt).toFixed(0)} ms after SIGTERM; late gRPC ${Code[lateGrpc.code!]} (${lateGrpc.message}) in ${lateGrpc.ms.toFixed(0)} ms, late HTTP ${lateHttp.status ?? lateHttp.error}`,
    );
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(lateGrpc).toMatchObject({ ok: false, code: Code.Unavailable });
    expect(lateGrpc.ms).toBeLessThan(2000);
    expect(lateHttp.ok).toBe(false);
    expect(lateHttp.status === 503 || /ECONNREFUSED/.test(lateHttp.error ?? '')).toBe(true);
    expect(exit).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('an executor finishes its in-flight requests, refuses new ones and exits 0', async () => {
    const exec = await startExecutor('Sleeper', { name: 's', extra: ['--allow-concurrent'] });
    const inflight = Array.from({ length: 16 }, () => grpcCall(exec.ports.grpc!));
    await sleep(SLEEP_MS / 3);
    exec.child.kill('SIGTERM');
    await waitRefused(exec.ports.grpc!);
    const late = await grpcCall(exec.ports.grpc!, 0);
    const results = await Promise.all(inflight);
    const exit = await exec.exited;
    console.log(
      `[case 6] executor: ${results.filter((r) => r.ok).length}/${results.length} in-flight completed; exit ${exit.code}; late request ${Code[late.code!]}`,
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(late).toMatchObject({ ok: false, code: Code.Unavailable });
    expect(exit).toEqual({ code: 0, signal: null });
  }, 60_000);
});
