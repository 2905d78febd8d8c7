// A closed-loop load generator: `concurrency` workers each send the next request as soon as the
// previous one answered, for `durationMs`, after a warm-up.
export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50ms: number;
  p99ms: number;
}

export async function runLoad(
  send: () => Promise<unknown>,
  {
    concurrency,
    durationMs = 4000,
    warmupMs = 1000,
  }: { concurrency: number; durationMs?: number; warmupMs?: number },
): Promise<LoadResult> {
  const warmEnd = Date.now() + warmupMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < warmEnd) await send();
    }),
  );
  const latencies: number[] = [];
  const t0 = performance.now();
  const end = t0 + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const s = performance.now();
        await send();
        latencies.push(performance.now() - s);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return {
    requests: latencies.length,
    seconds,
    rps: latencies.length / seconds,
    p50ms: q(0.5),
    p99ms: q(0.99),
  };
}

export function fmt(r: LoadResult): string {
  return `${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50ms.toFixed(2)} ms  p99 ${r.p99ms.toFixed(2)} ms  (${r.requests} requests)`;
}
