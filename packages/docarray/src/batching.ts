import type { JsonValue } from '@bufbuild/protobuf';
import type { Document } from './document.js';
import { DocArrayError } from './errors.js';

/** Options of the concurrent helpers (`apply`, `mapAsync`, `applyBatch`). */
export interface ConcurrencyOptions {
  /** How many calls run at once (sync functions run one after another). @default 4 */
  concurrency?: number;
  /** Stops starting new calls when aborted; the returned promise rejects with the reason. */
  signal?: AbortSignal;
}

/** Options of `shuffle` and `sample`. */
export interface RandomOptions {
  /** Seed for a repeatable order; without it `Math.random` is used. */
  seed?: number;
}

/** @internal A seeded PRNG (mulberry32) in [0, 1), or Math.random. */
export function randomSource(seed?: number): () => number {
  if (seed === undefined) return Math.random;
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** @internal Fisher–Yates shuffle of a copy. */
export function shuffled<T>(items: readonly T[], seed?: number): T[] {
  const rnd = randomSource(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** @internal Checks a positive integer argument. */
export function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) {
    throw new DocArrayError('invalid_argument', `${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

/**
 * @internal Maps items with at most `concurrency` calls in flight, keeping input order.
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  fn: (item: T, index: number) => R | Promise<R>,
  options: ConcurrencyOptions = {},
): Promise<R[]> {
  const limit = positiveInt('concurrency', options.concurrency ?? 4);
  const out = new Array<R>(items.length);
  let next = 0;
  const signal = options.signal;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      signal?.throwIfAborted();
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** @internal `k` distinct items chosen at random (partial Fisher–Yates). */
export function sampled<T>(items: readonly T[], k: number, seed?: number): T[] {
  if (!Number.isInteger(k) || k < 0 || k > items.length) {
    throw new DocArrayError('invalid_argument', `cannot sample ${k} of ${items.length} documents`);
  }
  const rnd = randomSource(seed);
  const pool = [...items];
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rnd() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, k);
}

/** @internal Documents grouped by a tag's value (JSON-equal values group together), in order of first appearance. */
export function groupByTag(docs: readonly Document[], tag: string): Map<JsonValue | undefined, Document[]> {
  const out = new Map<JsonValue | undefined, Document[]>();
  const keyOf = new Map<string, JsonValue | undefined>();
  for (const d of docs) {
    const v = d.tags[tag];
    const k = JSON.stringify(v) ?? 'undefined';
    if (!keyOf.has(k)) {
      keyOf.set(k, v);
      out.set(v, []);
    }
    out.get(keyOf.get(k))!.push(d);
  }
  return out;
}
