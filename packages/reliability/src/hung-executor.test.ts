// Case 4: an executor hangs (SIGSTOP) and recovers (SIGCONT).
import { Code } from '@connectrpc/connect';
import { Client, TransportError } from '@weft/client';
import { DocumentArray } from '@weft/docarray';
import { Flow } from '@weft/orchestrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tagger } from './test-fixtures/executors.js';
import { sleep } from './test-fixtures/processes.js';

const TIMEOUT_SEND = 1000;
let flow: Flow;
let client: Client;
let pid: number;
beforeAll(async () => {
  flow = new Flow().add({ uses: Tagger, name: 'frozen', timeoutSend: TIMEOUT_SEND });
  await flow.start();
  client = new Client({ port: flow.port! });
  pid = flow.describe().find((r) => r.name === 'frozen/rep-0')!.pid!;
}, 90_000);
afterAll(async () => {
  if (pid) process.kill(pid, 'SIGCONT');
  client?.close();
  await flow?.close();
});

describe('case 4: a hung executor', () => {
  it(`requests end with DEADLINE_EXCEEDED after timeoutSend=${TIMEOUT_SEND} ms; after SIGCONT it serves again`, async () => {
    expect((await client.post('/', DocumentArray.empty(1))).at(0)!.text).toBe(';');
    process.kill(pid, 'SIGSTOP');
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 4 }, async () => {
          const t0 = performance.now();
          const err = await client.post('/', DocumentArray.empty(1), { timeoutMs: 20_000 }).then(
            () => undefined,
            (e: unknown) => (e instanceof TransportError ? e : undefined),
          );
          return { err, ms: performance.now() - t0 };
        }),
      );
      console.log(`[case 4] hung requests ended after ${outcomes.map((o) => o.ms.toFixed(0)).join(', ')} ms`);
      for (const { err, ms } of outcomes) {
        expect(err?.code).toBe(Code.DeadlineExceeded);
        expect(err?.retryable).toBe(false);
        expect(err?.serverMessage).toMatch(/deployment 'frozen' did not answer within timeoutSend=1000 ms/);
        expect(ms).toBeGreaterThanOrEqual(TIMEOUT_SEND - 50);
        expect(ms).toBeLessThan(TIMEOUT_SEND + 4000);
      }
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const resumedAt = performance.now();
    let ok = false;
    while (!ok && performance.now() - resumedAt < 10_000) {
      ok = await client.post('/', DocumentArray.empty(1), { timeoutMs: 5000 }).then(
        (r) => r.at(0)!.text === ';',
        () => false,
      );
      if (!ok) await sleep(50);
    }
    console.log(`[case 4] serving again ${(performance.now() - resumedAt).toFixed(0)} ms after SIGCONT`);
    expect(ok).toBe(true);
  }, 60_000);
});
