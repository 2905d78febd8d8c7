import { Document } from './document.js';
import { DocumentArray } from './document-array.js';
import { FindError } from './errors.js';
import { compileFilter, type FilterQuery } from './filter-query.js';
import { embeddingRows, type FindOptions, type Hit, normalizeFindOptions, rankRows } from './find.js';
import { Tensor } from './tensor.js';

export type { FindOptions, Metric } from './find.js';

/** What `find` accepts as a query (besides a filter object). */
export type FindQuery = Document | DocumentArray | Tensor | Float32Array | number[] | number[][];

interface Queries {
  rows: Float32Array[];
  ids: (string | undefined)[];
  single: boolean;
}

function toQueries(query: FindQuery): Queries {
  if (query instanceof Document) {
    if (!query.embedding)
      throw new FindError('missing_embedding', `query document '${query.id}' has no embedding`);
    return { rows: [query.embedding.toFloat32()], ids: [query.id], single: true };
  }
  if (query instanceof DocumentArray) {
    const docs = query.toArray();
    const d = docs[0]?.embedding?.size ?? 0;
    return { rows: embeddingRows(docs, d, 'query'), ids: docs.map((x) => x.id), single: false };
  }
  if (query instanceof Tensor) {
    if (query.ndim <= 1) return { rows: [query.toFloat32()], ids: [undefined], single: true };
    if (query.ndim !== 2) {
      throw new FindError(
        'dimension_mismatch',
        `a query tensor must be 1-d or 2-d, got shape [${query.shape.join(', ')}]`,
      );
    }
    const f = query.toFloat32();
    const [n, d] = query.shape as [number, number];
    const rows = Array.from({ length: n }, (_, i) => f.subarray(i * d, (i + 1) * d));
    return { rows, ids: rows.map(() => undefined), single: false };
  }
  if (query instanceof Float32Array) return { rows: [query], ids: [undefined], single: true };
  if (Array.isArray(query)) {
    if (query.length > 0 && Array.isArray(query[0])) {
      const rows = (query as number[][]).map((r) => Float32Array.from(r));
      return { rows, ids: rows.map(() => undefined), single: false };
    }
    return { rows: [Float32Array.from(query as number[])], ids: [undefined], single: true };
  }
  throw new FindError('invalid_argument', `unsupported find query ${Object.prototype.toString.call(query)}`);
}

function rank(index: readonly Document[], q: Queries, options?: FindOptions): Hit[][] {
  const opts = normalizeFindOptions(options);
  if (q.rows.length === 0) return [];
  const dim = q.rows[0]!.length;
  for (const r of q.rows) {
    if (r.length !== dim) {
      throw new FindError(
        'dimension_mismatch',
        `query rows have different dimensions (${dim} and ${r.length})`,
      );
    }
  }
  const rows = embeddingRows(index, dim, 'index');
  const skip = opts.excludeSelf
    ? (qi: number, ri: number) => q.ids[qi] !== undefined && index[ri]!.id === q.ids[qi]
    : undefined;
  return rankRows(q.rows, rows, opts, skip);
}

function toMatches(index: readonly Document[], hits: Hit[], metricName: string): Document[] {
  return hits.map(({ index: i, score }) => {
    const m = index[i]!.copy();
    m.scores[metricName] = { value: score };
    return m;
  });
}

/** @internal `DocumentArray.find`. */
export function findIn(
  index: readonly Document[],
  query: FindQuery | FilterQuery,
  options?: FindOptions,
): DocumentArray | DocumentArray[] {
  const isVector =
    query instanceof Document ||
    query instanceof DocumentArray ||
    query instanceof Tensor ||
    query instanceof Float32Array ||
    Array.isArray(query);
  if (!isVector) {
    const p = compileFilter(query as FilterQuery);
    return DocumentArray.wrap(index.filter((d) => p(d)));
  }
  const q = toQueries(query as FindQuery);
  const name = normalizeFindOptions(options).metricName;
  const results = rank(index, q, options).map((hits) => DocumentArray.wrap(toMatches(index, hits, name)));
  return q.single ? results[0]! : results;
}

/** @internal `DocumentArray.match`: sets each query's matches. */
export function matchInto(
  queries: readonly Document[],
  index: readonly Document[],
  options?: FindOptions,
): void {
  if (queries.length === 0) return;
  const docs = DocumentArray.wrap([...queries]);
  const q = toQueries(docs);
  const name = normalizeFindOptions(options).metricName;
  const results = rank(index, q, options);
  queries.forEach((doc, i) => {
    doc.matches = toMatches(index, results[i]!, name);
  });
}
