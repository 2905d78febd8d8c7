// Cases 1 and 2: a replica SIGKILLed under load, then restarted on its port.
import { Client } from '@weft/client';
import { DocumentArray } from '@weft/docarray';
import { Flow } from '@weft/orchestrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tagger } from './test-fixtures/executors.js';
import { sleep } from './test-fixtures/processes.js';

const REQUESTS = 2000;
const CONCURRENCY = 32;

let flow: Flow;
let client: Client;
beforeAll(async () => {
  flow = new Flow({ log: () => {} }).add({ uses: Tagger, name: 'tagger', replicas: 3 });
  await flow.start();
  client = new Client({ port: flow.port! });
}, 90_000);
afterAll(async () => {
  client?.close();
  await flow?.close();
});

describe('case 1–2: a replica dies under load and comes back', () => {
  let victim: { name: string; pid: number; port: number };

  it(`case 1: SIGKILL 1 of 3 replicas during ${REQUESTS} requests at concurrency ${CONCURRENCY}: 0 failures, every id exactly once`, async () => {
    const replicas = flow.describe().filter((r) => r.name.startsWith('tagger/'));
    expect(replicas).toHaveLength(3);
    const v = replicas[1]!;
    victim = { name: v.name, pid: v.pid!, port: v.port };

    const sentIds: string[] = [];
    const gotIds: string[] = [];
    const failures: string[] = [];
    const byReplica: Record<string, number> = {};
    let next = 0;
    const t0 = performance.now();
    const lane = async () => {
      while (next < REQUESTS) {
        const i = next++;
        if (i === REQUESTS / 5) process.kill(victim.pid, 'SIGKILL');
        const id = `req-${i}`;
        sentIds.push(id);
        try {
          const r = await client.post('/', new DocumentArray([{ id }]), { timeoutMs: 20_000 });
          for (const d of r) {
            gotIds.push(d.id);
            const who = String(d.tags.runtime);
            byReplica[who] = (byReplica[who] ?? 0) + 1;
          }
        } catch (err) {
          failures.push(`${id}: ${String(err)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    const ms = performance.now() - t0;
    console.log(
      `[case 1] ${REQUESTS} requests, ${failures.length} failures in ${ms.toFixed(0)} ms; served by ${JSON.stringify(byReplica)}`,
    );
    expect(failures).toEqual([]);
    expect(gotIds).toHaveLength(REQUESTS);
    expect(new Set(gotIds).size).toBe(REQUESTS);
    expect([...gotIds].sort()).toEqual([...sentIds].sort());
    // The victim served before it died, the survivors carried the rest.
    expect(byReplica[victim.name]).toBeGreaterThan(0);
    expect(Object.keys(byReplica)).toHaveLength(3);
  }, 120_000);

  it('case 2: the killed replica is restarted by the Flow and serves again within 5 s, without a gateway restart', async () => {
    const gatewayPid = flow.describe().find((r) => r.name === 'gateway')!.pid;
    // Case 1's victim came back already; kill it again while the Flow is quiet and time the way back.
    const before = flow.describe().find((r) => r.name === victim.name)!;
    expect(before.restarts).toBeGreaterThanOrEqual(1);
    expect(before.pid).not.toBe(victim.pid);
    const killedAt = performance.now();
    process.kill(before.pid!, 'SIGKILL');
    let servedAt: number | undefined;
    let failures = 0;
    while (servedAt === undefined && performance.now() - killedAt < 15_000) {
      const r = await Promise.all(
        Array.from({ length: 6 }, () =>
          client.post('/', DocumentArray.empty(1), { timeoutMs: 5000 }).catch(() => {
            failures++;
            return new DocumentArray();
          }),
        ),
      );
      const d = r.flatMap((x) => x.toArray()).find((x) => x.tags.runtime === victim.name);
      if (d && d.tags.pid !== before.pid) servedAt = performance.now();
      else await sleep(25);
    }
    const after = flow.describe().find((r) => r.name === victim.name)!;
    const ms = servedAt === undefined ? Number.NaN : servedAt - killedAt;
    console.log(
      `[case 2] ${victim.name} killed, restarted as pid ${after.pid} (${after.restarts} restarts) and served again ${ms.toFixed(0)} ms after the kill; ${failures} failed requests meanwhile`,
    );
    expect(servedAt).toBeDefined();
    expect(ms).toBeLessThan(5000);
    expect(failures).toBe(0);
    expect(after.port).toBe(victim.port);
    expect(flow.describe().find((r) => r.name === 'gateway')!.pid).toBe(gatewayPid);
  }, 60_000);
});
