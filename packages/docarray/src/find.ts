import type { Document } from './document.js';
import { FindError } from './errors.js';
import type { Tensor } from './tensor.js';
import { TopK } from './top-k.js';

/**
 * Distance metrics of `find`/`match`. `cosine` is the cosine distance (1 − cosine similarity),
 * `euclidean` and `sqeuclidean` the (squared) L2 distance: smaller is nearer. `dot` is the inner
 * product, a similarity: larger is nearer.
 */
export type Metric = 'cosine' | 'euclidean' | 'sqeuclidean' | 'dot';

/** Every {@link Metric}. */
export const METRICS: readonly Metric[] = ['cosine', 'euclidean', 'sqeuclidean', 'dot'];

/** Options of {@link DocumentArray.find} and {@link DocumentArray.match}. */
export interface FindOptions {
  /** The metric. @default 'cosine' */
  metric?: Metric;
  /** Matches per query; `0`, a negative number or `Infinity` keeps all. @default 20 */
  limit?: number;
  /** Skip index documents whose id equals the query document's id. @default false */
  excludeSelf?: boolean;
  /** The key the score is stored under in each match's `scores`. @default the metric name */
  metricName?: string;
}

/** @internal One ranked hit: position in the index and the metric value. */
export interface Hit {
  index: number;
  score: number;
}

/** @internal Validates and fills in {@link FindOptions}. */
export function normalizeFindOptions(options: FindOptions = {}): Required<FindOptions> {
  const metric = options.metric ?? 'cosine';
  if (!METRICS.includes(metric)) {
    throw new FindError(
      'invalid_metric',
      `unknown metric '${String(metric)}': expected one of ${METRICS.map((m) => `'${m}'`).join(', ')}`,
    );
  }
  const limit = options.limit ?? 20;
  if (typeof limit !== 'number' || Number.isNaN(limit)) {
    throw new FindError('invalid_argument', `limit must be a number, got ${String(limit)}`);
  }
  return {
    metric,
    limit: limit <= 0 || !Number.isFinite(limit) ? Number.POSITIVE_INFINITY : Math.floor(limit),
    excludeSelf: options.excludeSelf ?? false,
    metricName: options.metricName ?? metric,
  };
}

/** @internal The embeddings of index documents as float32 rows, checked against `dim`. */
export function embeddingRows(docs: readonly Document[], dim: number, what: string): Float32Array[] {
  const rows: Float32Array[] = new Array(docs.length);
  for (let i = 0; i < docs.length; i++) {
    const e: Tensor | undefined = docs[i]!.embedding;
    if (!e) {
      throw new FindError(
        'missing_embedding',
        `${what} document ${i} (id '${docs[i]!.id}') has no embedding: every document needs one to be matched`,
      );
    }
    if (e.size !== dim) {
      throw new FindError(
        'dimension_mismatch',
        `${what} document ${i} (id '${docs[i]!.id}') has a ${e.size}-dim embedding but the query has ${dim} dims`,
      );
    }
    rows[i] = e.toFloat32();
  }
  return rows;
}

function norm(v: Float32Array): number {
  let s = 0;
  for (let j = 0; j < v.length; j++) s += v[j]! * v[j]!;
  return Math.sqrt(s);
}

/**
 * @internal Ranks `rows` for each query. Queries are processed four at a time against each index
 * row (the row is read once per block), and only a bounded heap per query is kept, so the memory
 * used beyond the inputs is O(n) for cosine norms plus O(queries × limit).
 */
export function rankRows(
  queries: readonly Float32Array[],
  rows: readonly Float32Array[],
  options: Required<FindOptions>,
  skip?: (queryIndex: number, rowIndex: number) => boolean,
): Hit[][] {
  const { metric } = options;
  const n = rows.length;
  const d = queries[0]?.length ?? 0;
  const k = Math.min(options.limit, n);
  const rowNorms = metric === 'cosine' ? new Float64Array(n) : undefined;
  if (rowNorms) for (let i = 0; i < n; i++) rowNorms[i] = norm(rows[i]!);
  const zero = new Float32Array(d);
  const results: Hit[][] = [];
  const euclid = metric === 'euclidean' || metric === 'sqeuclidean';
  for (let qb = 0; qb < queries.length; qb += 4) {
    const count = Math.min(4, queries.length - qb);
    const q0 = queries[qb]!;
    const q1 = count > 1 ? queries[qb + 1]! : zero;
    const q2 = count > 2 ? queries[qb + 2]! : zero;
    const q3 = count > 3 ? queries[qb + 3]! : zero;
    const qn = [q0, q1, q2, q3].map(norm);
    const heaps = [0, 1, 2, 3].slice(0, count).map(() => new TopK(k));
    const sums = new Float64Array(4);
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      if (euclid) {
        for (let j = 0; j < d; j++) {
          const x = r[j]!;
          const t0 = x - q0[j]!;
          const t1 = x - q1[j]!;
          const t2 = x - q2[j]!;
          const t3 = x - q3[j]!;
          s0 += t0 * t0;
          s1 += t1 * t1;
          s2 += t2 * t2;
          s3 += t3 * t3;
        }
      } else {
        for (let j = 0; j < d; j++) {
          const x = r[j]!;
          s0 += x * q0[j]!;
          s1 += x * q1[j]!;
          s2 += x * q2[j]!;
          s3 += x * q3[j]!;
        }
      }
      sums[0] = s0;
      sums[1] = s1;
      sums[2] = s2;
      sums[3] = s3;
      for (let b = 0; b < count; b++) {
        if (skip?.(qb + b, i)) continue;
        const s = sums[b]!;
        let key: number;
        if (metric === 'cosine') {
          const denom = qn[b]! * rowNorms![i]!;
          key = denom === 0 ? 1 : 1 - s / denom;
        } else if (metric === 'dot') key = -s;
        else key = s;
        heaps[b]!.offer(key, i);
      }
    }
    for (const h of heaps) {
      results.push(
        h.sorted().map(({ key, index }) => ({
          index,
          score: metric === 'dot' ? -key : metric === 'euclidean' ? Math.sqrt(key) : key,
        })),
      );
    }
  }
  return results;
}
