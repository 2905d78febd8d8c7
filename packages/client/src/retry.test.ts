import { describe, expect, it } from 'vitest';
import { Client, Code, TransportError } from './index.js';
import { backoffMs } from './retry.js';
import { startTestFlow } from './test-fixtures/flow.js';

describe('backoff', () => {
  const p = { maxAttempts: 5, initialBackoff: 100, maxBackoff: 400, backoffMultiplier: 2 };
  it('grows by the multiplier up to maxBackoff, with jitter in [bound/2, bound]', () => {
    expect([1, 2, 3, 4].map((a) => backoffMs(a, p, () => 1))).toEqual([100, 200, 400, 400]);
    expect([1, 2, 3, 4].map((a) => backoffMs(a, p, () => 0))).toEqual([50, 100, 200, 200]);
    const samples = Array.from({ length: 200 }, () => backoffMs(2, p));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...samples)).toBeLessThanOrEqual(200);
    expect(new Set(samples).size).toBeGreaterThan(100);
  });
});

describe('retries against a gateway restarted mid-run', () => {
  for (const stream of [true, false]) {
    it(`every request gets exactly one answer (${stream ? 'Call stream' : 'unary'})`, async () => {
      const flow = await startTestFlow();
      const c = new Client({ port: flow.port, keepaliveMs: 300 });
      try {
        const inputs = Array.from({ length: 120 }, (_, i) => ({ text: `r${i}`, tags: { delay: 5 } }));
        const post = c.post('/slow', inputs, {
          requestSize: 1,
          prefetch: 4,
          stream,
          resultsInOrder: true,
          maxAttempts: 20,
          initialBackoff: 50,
          maxBackoff: 200,
        });
        await new Promise((r) => setTimeout(r, 150));
        await flow.restartGateway(300);
        const r = await post;
        expect(r.texts).toEqual(inputs.map((d) => `${d.text}!`));
        expect(new Set(r.ids).size).toBe(120);
      } finally {
        c.close();
        await flow.close();
      }
    });
  }

  for (const protocol of ['http', 'websocket'] as const) {
    it(`every request gets exactly one answer over ${protocol}`, async () => {
      const flow = await startTestFlow({ protocols: [protocol] });
      const c = new Client({ port: flow.port, protocol });
      try {
        const inputs = Array.from({ length: 120 }, (_, i) => ({ text: `r${i}`, tags: { delay: 5 } }));
        const post = c.post('/slow', inputs, {
          requestSize: 1,
          prefetch: 4,
          resultsInOrder: true,
          maxAttempts: 20,
          initialBackoff: 50,
          maxBackoff: 200,
        });
        await new Promise((r) => setTimeout(r, 150));
        await flow.restartGateway(300);
        const r = await post;
        expect(r.texts).toEqual(inputs.map((d) => `${d.text}!`));
      } finally {
        c.close();
        await flow.close();
      }
    });
  }

  it('without retries the same restart fails with UNAVAILABLE-like transport error', async () => {
    const flow = await startTestFlow();
    const c = new Client({ port: flow.port });
    try {
      const inputs = Array.from({ length: 120 }, (_, i) => ({ text: `r${i}`, tags: { delay: 5 } }));
      const post = c.post('/slow', inputs, { requestSize: 1, prefetch: 4 }).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 150));
      await flow.restartGateway(300);
      const err = await post;
      expect(err).toBeInstanceOf(TransportError);
      expect([Code.Unavailable, Code.Canceled, Code.Internal]).toContain((err as TransportError).code);
    } finally {
      c.close();
      await flow.close();
    }
  });
});
