import { createDataRequest, requestDocs } from '@weft/core';
import { DocumentArray } from '@weft/docarray';
import { serveExecutor, type Worker } from '@weft/executor-runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { DeploymentPool, type PoolOptions } from './index.js';
import { appender, Slow } from './test-fixtures/harness.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function worker(opts: Parameters<typeof serveExecutor>[0]): Promise<Worker> {
  const w = await serveExecutor(opts);
  closers.push(() => w.close(1000));
  return w;
}

function pool(addresses: string[], options: PoolOptions = {}) {
  const p = new DeploymentPool('d', addresses, options);
  closers.push(() => p.close());
  return p;
}

describe('DeploymentPool', () => {
  it('treats a DNS name as every address it resolves to', async () => {
    const w1 = await worker({ uses: appender('A'), name: 'd', runtimeName: 'd/rep-0', host: '127.0.0.1' });
    await worker({
      uses: appender('A'),
      name: 'd',
      runtimeName: 'd/rep-1',
      host: '127.0.0.2',
      port: w1.port,
    });
    const p = pool([`replicas.test:${w1.port}`], { resolve: async () => ['127.0.0.1', '127.0.0.2'] });
    expect(await p.replicaAddresses()).toEqual([`127.0.0.1:${w1.port}`, `127.0.0.2:${w1.port}`]);
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const res = await p.send(createDataRequest({ docs: DocumentArray.empty(1) }));
      seen.add(String(requestDocs(res).at(0)!.tags.A));
    }
    expect([...seen].sort()).toEqual(['d/rep-0', 'd/rep-1']);
  });

  it('resolves DNS names again and follows the answer', async () => {
    const w1 = await worker({ uses: appender('A'), name: 'd', runtimeName: 'd/rep-0', host: '127.0.0.1' });
    await worker({
      uses: appender('A'),
      name: 'd',
      runtimeName: 'd/rep-1',
      host: '127.0.0.2',
      port: w1.port,
    });
    let answer = ['127.0.0.1'];
    const p = pool([`replicas.test:${w1.port}`], { resolve: async () => answer, dnsRefreshMs: 50 });
    expect(await p.replicaAddresses()).toEqual([`127.0.0.1:${w1.port}`]);
    answer = ['127.0.0.2'];
    await new Promise((r) => setTimeout(r, 200));
    expect(await p.replicaAddresses()).toEqual([`127.0.0.2:${w1.port}`]);
    const res = await p.send(createDataRequest({ docs: DocumentArray.empty(1) }));
    expect(requestDocs(res).at(0)!.tags.A).toBe('d/rep-1');
  });

  it('names an unresolvable DNS name in the UNAVAILABLE error', async () => {
    const p = pool(['no-such-host.invalid:5000'], { retries: 1 });
    await expect(p.send(createDataRequest())).rejects.toThrow(
      /deployment 'd' is unavailable.*no-such-host\.invalid:5000/,
    );
  });

  it('least-in-flight keeps short requests off a busy replica; round-robin does not', async () => {
    const a = await worker({ uses: Slow, name: 'd' });
    const b = await worker({ uses: Slow, name: 'd' });
    const addrs = [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`];
    const run = async (p: DeploymentPool) => {
      const long = p.send(createDataRequest({ parameters: { sleepMs: 700 } }));
      await new Promise((r) => setTimeout(r, 50));
      const t0 = performance.now();
      const shorts = [];
      for (let i = 0; i < 6; i++)
        shorts.push(
          await p.send(createDataRequest({ parameters: { sleepMs: 0 } })).then(() => performance.now() - t0),
        );
      await long;
      return Math.max(...shorts);
    };
    expect(await run(pool(addrs))).toBeLessThan(400);
    expect(await run(pool(addrs, { selection: 'round-robin' }))).toBeGreaterThan(400);
  });
});
