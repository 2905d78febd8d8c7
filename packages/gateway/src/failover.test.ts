import { type ChildProcess, fork } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createClient } from '@connectrpc/connect';
import { createDataRequest, requestDocs } from '@weft/core';
import { createWeftTransport } from '@weft/core/grpc';
import { DocumentArray } from '@weft/docarray';
import { JinaSingleDataRequestRPC } from '@weft/proto';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway } from './index.js';

const script = fileURLToPath(new URL('./test-fixtures/replica-process.ts', import.meta.url));
const children = new Set<ChildProcess>();
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  for (const c of children) c.kill('SIGKILL');
  children.clear();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function startReplica(name: string, port: number): Promise<ChildProcess> {
  const child = fork(script, [name, String(port)], { execArgv: ['--import', 'tsx'], stdio: 'ignore' });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`replica ${name} did not start in 20 s`)), 20_000);
    child.once('message', () => {
      clearTimeout(timer);
      resolve(child);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`replica ${name} exited with ${code} before it was ready`));
    });
  });
}

describe('replica failover', () => {
  it('keeps all 2000 requests succeeding when a replica is SIGKILLed, ejects it and takes it back after restart', async () => {
    const ports = [await freePort(), await freePort()];
    await startReplica('r/rep-0', ports[0]!);
    const victim = await startReplica('r/rep-1', ports[1]!);
    const gw = await startGateway({
      graph: { 'start-gateway': ['r'], r: ['end-gateway'] },
      addresses: { r: ports.map((p) => `127.0.0.1:${p}`) },
      monitoring: { port: 0 },
      logger: pino({ level: 'silent' }),
    });
    closers.push(() => gw.close(2000));
    const t = createWeftTransport(`http://127.0.0.1:${gw.port}`);
    closers.push(() => t.close());
    const client = createClient(JinaSingleDataRequestRPC, t.transport);
    const send = async () => {
      const res = await client.process_single_data(createDataRequest({ docs: DocumentArray.empty(1) }), {
        timeoutMs: 10_000,
      });
      return String(requestDocs(res).at(0)!.tags.R);
    };

    let sent = 0;
    let ok = 0;
    const byReplica: Record<string, number> = {};
    const afterKill: Record<string, number> = {};
    let killed = false;
    const failures: unknown[] = [];
    const lane = async () => {
      while (sent < 2000) {
        sent++;
        if (sent === 400 && !killed) {
          killed = true;
          victim.kill('SIGKILL');
        }
        const wasKilled = killed;
        try {
          const who = await send();
          ok++;
          byReplica[who] = (byReplica[who] ?? 0) + 1;
          if (wasKilled) afterKill[who] = (afterKill[who] ?? 0) + 1;
        } catch (err) {
          failures.push(err);
        }
      }
    };
    await Promise.all(Array.from({ length: 32 }, lane));
    expect(failures.map((e) => String(e))).toEqual([]);
    expect(ok).toBe(2000);
    expect(byReplica['r/rep-1']).toBeGreaterThan(0);

    // Out of rotation: failed calls to it are bounded by what was in flight when it died, not ~half of 1600.
    const metrics = await (await fetch(`http://127.0.0.1:${gw.monitoringPort}/metrics`)).text();
    const failed = Number(
      /weft_gateway_deployment_failures_total\{deployment="r"\} (\d+)/.exec(metrics)?.[1] ?? 0,
    );
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThanOrEqual(64);
    expect(afterKill['r/rep-0']).toBeGreaterThan(1500);

    // Restarted on its port, it serves again without a gateway restart.
    await startReplica('r/rep-1', ports[1]!);
    const seen = new Set<string>();
    const deadline = Date.now() + 15_000;
    while (!seen.has('r/rep-1') && Date.now() < deadline) {
      seen.add(await send());
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen.has('r/rep-1')).toBe(true);
  }, 90_000);
});
