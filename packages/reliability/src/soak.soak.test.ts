// Case 11 (soak, only with WEFT_SOAK=1): steady load through the seed Flow while a replica is
// SIGKILLed every minute. Duration WEFT_SOAK_MS (default 10 minutes), kill period WEFT_SOAK_KILL_MS.
import { Client } from '@weft/client';
import { DocumentArray } from '@weft/docarray';
import { Flow } from '@weft/orchestrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BarExec, FooExec } from './test-fixtures/executors.js';
import { procStats, sleep } from './test-fixtures/processes.js';

const DURATION = Number(process.env.WEFT_SOAK_MS ?? 600_000);
const KILL_EVERY = Number(process.env.WEFT_SOAK_KILL_MS ?? 60_000);
const CONCURRENCY = 8;
const SAMPLE_EVERY = Math.min(10_000, DURATION / 20);
const MiB = 2 ** 20;

let flow: Flow;
let client: Client;
beforeAll(async () => {
  flow = new Flow({ log: () => {} })
    .add({ uses: FooExec, name: 'foo', replicas: 3 })
    .add({ uses: BarExec, name: 'bar', replicas: 2 });
  await flow.start();
  client = new Client({ port: flow.port! });
}, 90_000);
afterAll(async () => {
  client?.close();
  await flow?.close();
});

describe('case 11: soak', () => {
  it(
    `${DURATION / 1000} s of steady load with a replica SIGKILLed every ${KILL_EVERY / 1000} s: 0 failures, flat gateway RSS and file descriptors`,
    async () => {
      const gateway = flow.describe().find((r) => r.name === 'gateway')!;
      const replicas = flow
        .describe()
        .filter((r) => r.kind === 'executor')
        .map((r) => r.name);
      let ok = 0;
      const failures: string[] = [];
      const samples: { t: number; rss: number; fds: number }[] = [];
      const kills: string[] = [];
      const t0 = performance.now();
      const elapsed = () => performance.now() - t0;
      let stop = false;

      const lane = async () => {
        while (!stop) {
          try {
            const r = await client.post('/', DocumentArray.empty(2), { timeoutMs: 20_000 });
            if (r.texts.join() === 'hello, world!goodbye!,hello, world!goodbye!') ok++;
            else failures.push(`wrong answer: ${r.texts.join()}`);
          } catch (err) {
            failures.push(String(err));
          }
        }
      };
      const killer = async () => {
        let i = 0;
        while (!stop) {
          await sleep(Math.min(KILL_EVERY, Math.max(0, DURATION - elapsed())));
          // No kill in the last 5 s: every kill must be followed by its restart within the run.
          if (stop || elapsed() > DURATION - 5000) break;
          const name = replicas[i++ % replicas.length]!;
          const pid = flow.describe().find((r) => r.name === name)!.pid!;
          process.kill(pid, 'SIGKILL');
          kills.push(`${(elapsed() / 1000).toFixed(0)}s ${name}`);
        }
      };
      const sampler = async () => {
        while (!stop) {
          samples.push({ t: elapsed(), ...procStats(gateway.pid!) });
          await sleep(SAMPLE_EVERY);
        }
      };
      const lanes = Array.from({ length: CONCURRENCY }, lane);
      const side = [killer(), sampler()];
      await sleep(DURATION);
      stop = true;
      await Promise.all([...lanes, ...side]);
      samples.push({ t: elapsed(), ...procStats(gateway.pid!) });

      // Baseline after the first tenth (JIT and pools warmed up); compare the mean of the last three samples.
      const base = samples.find((s) => s.t >= DURATION / 10) ?? samples[0]!;
      const tail = samples.slice(-3);
      const endRss = tail.reduce((n, s) => n + s.rss, 0) / tail.length;
      const endFds = Math.max(...tail.map((s) => s.fds));
      const restartsNow = () =>
        flow
          .describe()
          .filter((r) => r.kind === 'executor')
          .reduce((n, r) => n + r.restarts, 0);
      for (let i = 0; i < 100 && restartsNow() < kills.length; i++) await sleep(100);
      const restarts = restartsNow();
      console.log(
        `[case 11] ${(elapsed() / 1000).toFixed(0)} s: ${ok} requests ok, ${failures.length} failed; ${kills.length} kills (${kills.join(', ')}), ${restarts} restarts; ` +
          `gateway RSS ${(base.rss / MiB).toFixed(1)} → ${(endRss / MiB).toFixed(1)} MiB (${(((endRss - base.rss) / base.rss) * 100).toFixed(1)} %), fds ${base.fds} → ${endFds}`,
      );
      expect(failures.slice(0, 5)).toEqual([]);
      expect(kills.length).toBeGreaterThanOrEqual(Math.floor(DURATION / KILL_EVERY) - 1);
      expect(restarts).toBe(kills.length);
      expect(flow.describe().find((r) => r.name === 'gateway')!.pid).toBe(gateway.pid);
      expect(endRss).toBeLessThan(base.rss * 1.1);
      expect(endFds).toBeLessThanOrEqual(base.fds + 2);
    },
    DURATION + 180_000,
  );
});
