// Batching, YAML loading, concurrency and the process lifecycle, against real runtime processes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createDataRequest, isErrorResponse, requestDocs } from '@weft/core';
import { createWeftTransport } from '@weft/core/grpc';
import { DocumentArray } from '@weft/docarray';
import { Health, HealthCheckResponse_ServingStatus, JinaSingleDataRequestRPC } from '@weft/proto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RuntimeChild, startRuntime } from './test-fixtures/harness.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'weft-lifecycle-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const started: RuntimeChild[] = [];
async function start(...args: Parameters<typeof startRuntime>) {
  const rt = await startRuntime(...args);
  started.push(rt);
  return rt;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((rt) => rt.stop()));
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const resultOf = (res: { parameters?: Record<string, unknown> }, runtime: string) =>
  (res.parameters!.__results__ as Record<string, any>)[runtime];

describe('dynamic batching', () => {
  it('groups concurrent requests, returns each its own docs in order, never mixing parameters', async () => {
    const rt = await start({ uses: './executors.ts#Batched', name: 'batched' });
    const c = createClient(JinaSingleDataRequestRPC, rt.transport);
    // 12 requests of 2 docs, parameters alternating A/B: 6 requests (12 docs) per parameter set.
    const sent = Array.from({ length: 12 }, (_, i) => ({
      p: i % 2 ? 'B' : 'A',
      docs: new DocumentArray([{ text: `r${i}-0` }, { text: `r${i}-1` }]),
    }));
    const res = await Promise.all(
      sent.map((s) =>
        c.process_single_data(
          createDataRequest({ endpoint: '/batch', docs: s.docs, parameters: { p: s.p } }),
        ),
      ),
    );
    res.forEach((r, i) => {
      const docs = requestDocs(r);
      expect(docs.texts).toEqual(sent[i]!.docs.texts);
      expect(docs.ids).toEqual(sent[i]!.docs.ids);
      expect(docs.toArray().map((d) => d.tags.p)).toEqual([sent[i]!.p, sent[i]!.p]);
    });
    const { calls, sizes } = resultOf(
      await c.process_single_data(createDataRequest({ endpoint: '/calls' })),
      'batched/rep-0',
    );
    // preferredBatchSize 8: each parameter set's 12 docs run as 8 + 4 (the 4 after the 300 ms timeout).
    expect(calls).toBeLessThan(12);
    expect(sizes.reduce((a: number, b: number) => a + b, 0)).toBe(24);
    expect(Math.max(...sizes)).toBe(8);
  });

  it('runs a lone request once the timeout passes', async () => {
    const rt = await start({ uses: './executors.ts#Batched', name: 'batched' });
    const c = createClient(JinaSingleDataRequestRPC, rt.transport);
    const t0 = Date.now();
    const r = await c.process_single_data(
      createDataRequest({ endpoint: '/batch', docs: DocumentArray.empty(1) }),
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(requestDocs(r).length).toBe(1);
  });

  it('fails every request of a batch whose handler returned a different number of docs', async () => {
    const rt = await start({ uses: './executors.ts#Batched', name: 'batched' });
    const c = createClient(JinaSingleDataRequestRPC, rt.transport);
    const res = await Promise.all(
      [0, 1].map(() =>
        c.process_single_data(createDataRequest({ endpoint: '/bad-batch', docs: DocumentArray.empty(2) })),
      ),
    );
    for (const r of res) {
      expect(isErrorResponse(r)).toBe(true);
      expect(r.header?.status?.exception?.name).toBe('BatchSizeMismatchError');
      expect(r.header?.status?.description).toMatch(/given 4 documents from 2 requests and returned 3/);
    }
  });
});

describe('loading from YAML', () => {
  it('serves an Executor YAML: jtype, with, metas, requests rebinding and dynamic_batching', async () => {
    const rt = await start({ uses: 'plain.yml' });
    const c = createClient(JinaSingleDataRequestRPC, rt.transport);
    const res = await Promise.all(
      [0, 1, 2].map((i) =>
        c.process_single_data(
          createDataRequest({
            endpoint: '/rebound',
            docs: new DocumentArray([{ text: `a${i}` }, { text: `b${i}` }]),
          }),
        ),
      ),
    );
    // One batch of 6 docs: the handler ran once for all three requests.
    expect(res.map((r) => requestDocs(r).texts)).toEqual([
      ['a0+yaml#1', 'b0+yaml#1'],
      ['a1+yaml#1', 'b1+yaml#1'],
      ['a2+yaml#1', 'b2+yaml#1'],
    ]);
    const other = await c.process_single_data(
      createDataRequest({ endpoint: '/other', docs: new DocumentArray([{ text: 'x' }]) }),
    );
    expect(requestDocs(other).texts).toEqual(['other:x']);
    // The decorator binding stays; metas.name named the deployment.
    const orig = await c.process_single_data(
      createDataRequest({ endpoint: '/original', docs: new DocumentArray([{ text: 'o' }]) }),
    );
    expect(requestDocs(orig).texts).toEqual(['o+yaml#2']);
    expect(rt.lines.join('\n')).not.toMatch(/error/i);
  });

  it('lets usesWith and usesDynamicBatching override the YAML', async () => {
    const rt = await start({
      uses: 'plain.yml',
      usesWith: { suffix: '+override' },
      usesDynamicBatching: { '/rebound': { preferredBatchSize: 1, timeoutMs: 10_000 } },
    });
    const c = createClient(JinaSingleDataRequestRPC, rt.transport);
    const r = await c.process_single_data(
      createDataRequest({ endpoint: '/rebound', docs: new DocumentArray([{ text: 'z' }]) }),
    );
    expect(requestDocs(r).texts).toEqual(['z+override#1']);
  });
});

describe('concurrency', () => {
  it('allowConcurrent runs requests at the same time', async () => {
    const rt = await start({ uses: './executors.ts#Kitchen', name: 'k', allowConcurrent: true });
    const c = createClient(JinaSingleDataRequestRPC, rt.transport);
    await Promise.all(
      Array.from({ length: 6 }, () =>
        c.process_single_data(createDataRequest({ endpoint: '/slow', parameters: { ms: 200 } })),
      ),
    );
    const r = await c.process_single_data(createDataRequest({ endpoint: '/most' }));
    expect(resultOf(r, 'k/rep-0').most).toBeGreaterThan(1);
  });

  it('an Executor without bindings passes docs through unchanged', async () => {
    const rt = await start({ uses: './executors.ts#NoBinding' });
    const c = createClient(JinaSingleDataRequestRPC, rt.transport);
    const docs = new DocumentArray([{ text: 'same' }]);
    const r = await c.process_single_data(createDataRequest({ endpoint: '/anything', docs }));
    expect(requestDocs(r).texts).toEqual(['same']);
    expect(requestDocs(r).ids).toEqual(docs.ids);
  });
});

describe('lifecycle', () => {
  it('SIGTERM during 20 in-flight requests: all answered, NOT_SERVING and UNAVAILABLE while draining, close() once, exit 0', async () => {
    const closeFile = join(tmp, 'drain.txt');
    const rt = await start(
      { uses: './executors.ts#Kitchen', name: 'k' },
      { WEFT_TEST_CLOSE_FILE: closeFile },
    );
    const c = createClient(JinaSingleDataRequestRPC, rt.transport);
    const inFlight = Array.from({ length: 20 }, (_, i) =>
      c.process_single_data(
        createDataRequest({
          endpoint: '/slow',
          docs: new DocumentArray([{ text: String(i) }]),
          parameters: { ms: 100 },
        }),
      ),
    );
    await new Promise((r) => setTimeout(r, 150));
    rt.child.kill('SIGTERM');
    // While draining (20 × 100 ms one at a time), health says NOT_SERVING and new requests are refused.
    await new Promise((r) => setTimeout(r, 200));
    const probe = createWeftTransport(`http://127.0.0.1:${rt.port}`);
    try {
      const h = await createClient(Health, probe.transport).check({}, { timeoutMs: 2000 });
      expect(h.status).toBe(HealthCheckResponse_ServingStatus.NOT_SERVING);
      const refused = await createClient(JinaSingleDataRequestRPC, probe.transport)
        .process_single_data(createDataRequest({ endpoint: '/upper' }), { timeoutMs: 2000 })
        .catch((e: unknown) => ConnectError.from(e));
      expect((refused as ConnectError).code).toBe(Code.Unavailable);
    } finally {
      probe.close();
    }
    const res = await Promise.all(inFlight);
    expect(res.map((r) => requestDocs(r).texts[0])).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(res.every((r) => !isErrorResponse(r) && requestDocs(r).at(0)!.tags.done === true)).toBe(true);
    expect(await rt.exited).toBe(0);
    expect(readFileSync(closeFile, 'utf8')).toBe('closed k/rep-0\n');
  });

  it('aborts ctx.signal of a request still running when the grace period ends, then exits 0', async () => {
    const rt = await start({ uses: './executors.ts#Kitchen', name: 'k', graceMs: 300 });
    const c = createClient(JinaSingleDataRequestRPC, rt.transport);
    // /deadline waits 5 s unless its signal aborts.
    const pending = c.process_single_data(
      createDataRequest({ endpoint: '/deadline', docs: DocumentArray.empty(1) }),
    );
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    rt.child.kill('SIGTERM');
    const res = await pending;
    expect(isErrorResponse(res)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(await rt.exited).toBe(0);
  });

  it('flushes queued batches on SIGTERM and answers them', async () => {
    const closeFile = join(tmp, 'batch-drain.txt');
    const rt = await start({ uses: './executors.ts#Batched' }, { WEFT_TEST_CLOSE_FILE: closeFile });
    const c = createClient(JinaSingleDataRequestRPC, rt.transport);
    // One doc queued: it would wait 300 ms for the timeout; SIGTERM flushes it at once.
    const pending = c.process_single_data(
      createDataRequest({ endpoint: '/batch', docs: DocumentArray.empty(1) }),
    );
    await new Promise((r) => setTimeout(r, 50));
    rt.child.kill('SIGTERM');
    const r = await pending;
    expect(requestDocs(r).at(0)!.tags.call).toBe(1);
    expect(await rt.exited).toBe(0);
    expect(readFileSync(closeFile, 'utf8')).toBe('closed batched\n');
  });

  it('exitOnExceptions: answers the error, then exits non-zero; other errors keep it serving', async () => {
    const closeFile = join(tmp, 'fatal.txt');
    const rt = await start(
      { uses: './executors.ts#Fragile', exitOnExceptions: ['FatalError'] },
      { WEFT_TEST_CLOSE_FILE: closeFile },
    );
    const c = createClient(JinaSingleDataRequestRPC, rt.transport);
    const soft = await c.process_single_data(createDataRequest({ endpoint: '/soft' }));
    expect(soft.header?.status?.exception?.name).toBe('TypeError');
    const fatal = await c.process_single_data(createDataRequest({ endpoint: '/fatal' }));
    expect(fatal.header?.status?.exception?.name).toBe('FatalError');
    expect(await rt.exited).toBe(1);
    expect(readFileSync(closeFile, 'utf8')).toBe('closed fragile\n');
  });

  it('answers SERVING only once the constructor has finished', async () => {
    const port = await freePort();
    const seen: { at: number; serving: boolean }[] = [];
    let polling = true;
    // A fresh connection per probe: a session that failed to connect may take its time to retry.
    const probeOnce = async () => {
      const probe = createWeftTransport(`http://127.0.0.1:${port}`);
      try {
        const h = await createClient(Health, probe.transport).check({}, { timeoutMs: 500 });
        return h.status === HealthCheckResponse_ServingStatus.SERVING;
      } catch {
        return false;
      } finally {
        probe.close();
      }
    };
    const poller = (async () => {
      while (polling) {
        seen.push({ at: Date.now(), serving: await probeOnce() });
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      const rt = await start({ uses: './executors.ts#SlowStart', port });
      // Keep probing until a SERVING answer arrives (bounded): under load the first may take a while.
      const deadline = Date.now() + 10_000;
      while (!seen.some((s) => s.serving) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      polling = false;
      await poller;
      const constructed = Number(/constructed at (\d+)/.exec(rt.lines.join('\n'))?.[1]);
      expect(seen.filter((s) => !s.serving).length).toBeGreaterThan(5);
      const firstServing = seen.find((s) => s.serving);
      expect(firstServing).toBeDefined();
      expect(firstServing!.at).toBeGreaterThanOrEqual(constructed);
    } finally {
      polling = false;
      await poller;
    }
  });

  it('a constructor that throws fails the start with the class and the error', async () => {
    const err = await startRuntime({ uses: './executors.ts#BrokenStart' }).catch((e: Error) => e);
    expect(String(err)).toMatch(/exited with 1 before ready/);
    expect(String(err)).toMatch(
      /ExecutorStartError: the constructor of BrokenStart .* threw Error: model file missing/,
    );
  });
});
