import type { JsonObject } from '@bufbuild/protobuf';
import { DocumentArray } from '@weft/docarray';
import { describe, expect, it } from 'vitest';
import { DynamicBatcher } from './batching.js';

describe('DynamicBatcher', () => {
  it('treats parameters with the same keys in another order as the same batch', async () => {
    const batches: JsonObject[] = [];
    const b = new DynamicBatcher('/e', { preferredBatchSize: 2, timeoutMs: 10_000 }, async (_docs, p) => {
      batches.push(p);
      return undefined;
    });
    await Promise.all([
      b.submit(DocumentArray.empty(1), { a: 1, b: { c: 2, d: 3 } }, {}),
      b.submit(DocumentArray.empty(1), { b: { d: 3, c: 2 }, a: 1 }, {}),
    ]);
    expect(batches).toHaveLength(1);
  });

  it('hands a results object to every request of the batch and rejects them all when the runner throws', async () => {
    let fail = false;
    const b = new DynamicBatcher('/e', { preferredBatchSize: 3, timeoutMs: 10_000 }, async (docs) => {
      if (fail) throw new Error('boom');
      return { n: docs.length };
    });
    const rs = await Promise.all([
      b.submit(DocumentArray.empty(1), {}, {}),
      b.submit(DocumentArray.empty(2), {}, {}),
    ]);
    expect(rs.map((r) => [r.docs.length, r.results])).toEqual([
      [1, { n: 3 }],
      [2, { n: 3 }],
    ]);
    fail = true;
    const p = b.submit(DocumentArray.empty(1), {}, {});
    await b.flush();
    await expect(p).rejects.toThrow('boom');
  });

  it('runs requests submitted after flush() at once instead of waiting for the timeout', async () => {
    const b = new DynamicBatcher('/e', { preferredBatchSize: 100, timeoutMs: 60_000 }, async () => undefined);
    await b.flush();
    const t0 = Date.now();
    const r = await b.submit(DocumentArray.empty(2), {}, {});
    expect(r.docs.length).toBe(2);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
