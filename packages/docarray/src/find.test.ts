import { describe, expect, it } from 'vitest';
import { Document } from './document.js';
import { DocumentArray } from './document-array.js';
import { FindError } from './errors.js';
import type { Metric } from './find.js';
import { Tensor } from './tensor.js';

function index(): DocumentArray {
  return new DocumentArray(
    (
      [
        ['a', [1, 0]],
        ['b', [0, 1]],
        ['c', [1, 1]],
        ['d', [-1, 0]],
      ] as const
    ).map(([id, e]) => ({ id, embedding: Tensor.from([...e]), tags: { name: id } })),
  );
}

describe('find (semantics.md)', () => {
  const expected: Record<Metric, [string[], number[]]> = {
    cosine: [
      ['a', 'c', 'b', 'd'],
      [0, 1 - 1 / Math.SQRT2, 1, 2],
    ],
    euclidean: [
      ['a', 'c', 'b', 'd'],
      [0, 1, Math.SQRT2, 2],
    ],
    sqeuclidean: [
      ['a', 'c', 'b', 'd'],
      [0, 1, 2, 4],
    ],
    dot: [
      ['a', 'c', 'b', 'd'],
      [1, 1, 0, -1],
    ],
  };
  for (const [metric, [ids, scores]] of Object.entries(expected) as [Metric, [string[], number[]]][]) {
    it(`${metric}: exact ids, order and scores`, () => {
      const r = index().find([1, 0], { metric });
      expect(r.ids).toEqual(ids);
      expect(r.map((d) => d.scores[metric]!.value)).toEqual(scores);
    });
  }

  it('defaults to cosine and limit 20; limit cuts; metricName renames the score', () => {
    const r = index().find(new Float32Array([0, 1]), { limit: 2, metricName: 'sim' });
    expect(r.ids).toEqual(['b', 'c']);
    expect(r.map((d) => d.scores.sim!.value)).toEqual([0, 1 - 1 / Math.SQRT2]);
    expect(index().find([0, 1]).length).toBe(4);
  });

  it('matches are copies: the index documents get no scores', () => {
    const da = index();
    const r = da.find([1, 0]);
    expect(r.at(0)!.tags).toEqual({ name: 'a' });
    expect(da.at(0)!.hasScores).toBe(false);
    expect(r.at(0)).not.toBe(da.at(0));
  });

  it('excludeSelf skips the query document', () => {
    const q = new Document({ id: 'a', embedding: Tensor.from([1, 0]) });
    expect(index().find(q, { excludeSelf: true }).ids).toEqual(['c', 'b', 'd']);
    expect(index().find(q).ids).toEqual(['a', 'c', 'b', 'd']);
  });

  it('several queries (DocumentArray, 2-d tensor, nested lists) give one result per row', () => {
    const queries = [
      [1, 0],
      [0, 1],
      [-1, -1],
      [1, 1],
      [0, -1],
      [-1, 0],
    ];
    const brute = (q: number[]) =>
      index()
        .map((d) => {
          const e = d.embedding!.toArray();
          return { id: d.id, s: (q[0]! - e[0]!) ** 2 + (q[1]! - e[1]!) ** 2 };
        })
        .sort((x, y) => x.s - y.s)
        .slice(0, 3);
    const want = queries.map((q) => brute(q).map((x) => x.id));
    const byLists = index().find(queries, { metric: 'sqeuclidean', limit: 3 });
    const byTensor = index().find(Tensor.from(queries), {
      metric: 'sqeuclidean',
      limit: 3,
    }) as DocumentArray[];
    const byDocs = index().find(new DocumentArray(queries.map((q) => ({ embedding: Tensor.from(q) }))), {
      metric: 'sqeuclidean',
      limit: 3,
    });
    for (const r of [byLists, byTensor, byDocs]) expect(r.map((x) => x.ids)).toEqual(want);
    expect(byLists.map((r) => r.map((d) => d.scores.sqeuclidean!.value))).toEqual(
      queries.map((q) => brute(q).map((x) => x.s)),
    );
  });

  it('match() writes matches with scores, parentId and adjacency', () => {
    const queries = new DocumentArray([
      { id: 'q1', embedding: Tensor.from([1, 0]) },
      { id: 'q2', embedding: Tensor.from([0, 1]) },
    ]);
    queries.match(index(), { metric: 'euclidean', limit: 2 });
    expect(queries.at(0)!.matches.ids).toEqual(['a', 'c']);
    expect(queries.at(1)!.matches.ids).toEqual(['b', 'c']);
    expect(queries.at(0)!.matches.map((m) => m.scores.euclidean!.value)).toEqual([0, 1]);
    expect(queries.at(1)!.matches.at(0)).toMatchObject({ parentId: 'q2', adjacency: 1 });
  });

  it('works on int and float64 embeddings', () => {
    const da = new DocumentArray([
      { id: 'x', embedding: Tensor.from([3, 4], '<i8') },
      { id: 'y', embedding: Tensor.from([0, 1], '<f8') },
    ]);
    expect(da.find([0, 0], { metric: 'euclidean' }).map((d) => d.scores.euclidean!.value)).toEqual([1, 5]);
  });

  it('errors name the value and what was expected', () => {
    expect(() => index().find([1, 0], { metric: 'manhattan' as Metric })).toThrow(
      /unknown metric 'manhattan': expected one of 'cosine', 'euclidean', 'sqeuclidean', 'dot'/,
    );
    expect(() => index().find([1, 0, 0])).toThrow(
      /index document 0 \(id 'a'\) has a 2-dim embedding but the query has 3 dims/,
    );
    const da = index();
    da.push({ id: 'e' });
    expect(() => da.find([1, 0])).toThrow(FindError);
    expect(() => da.find([1, 0])).toThrow(/id 'e'\) has no embedding/);
    expect(() => index().find(new Document({ id: 'q' }))).toThrow(/query document 'q' has no embedding/);
    try {
      index().find([1]);
    } catch (err) {
      expect((err as FindError).code).toBe('dimension_mismatch');
    }
  });
});
