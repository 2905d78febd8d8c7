import { describe, expect, it } from 'vitest';
import { Document } from './document.js';
import { DocumentArray } from './document-array.js';
import { FilterQueryError } from './errors.js';
import type { FilterQuery } from './filter-query.js';
import { Tensor } from './tensor.js';

function docs(): DocumentArray {
  const da = new DocumentArray([
    { id: 'a', text: 'hello world', tags: { k: 1, color: 'red', list: [1, 2] }, weight: 0.5 },
    { id: 'b', text: 'goodbye', tags: { k: 2, color: 'blue', nested: { x: 'y' } } },
    { id: 'c', tags: { k: 3 }, embedding: Tensor.from([1, 2]), mimeType: 'image/png' },
    { id: 'd', text: 'hello again', uri: 'file.txt' },
  ]);
  da.at(0)!.scores.cosine = { value: 0.1 };
  da.at(1)!.scores.cosine = { value: 0.7 };
  da.at(1)!.chunks.push(new Document({ text: 'x' }), new Document({ text: 'y' }));
  return da;
}

const ids = (q: FilterQuery) => docs().filter(q).ids;

describe('filter queries (semantics.md)', () => {
  const cases: [FilterQuery, string[]][] = [
    [{ tags__k: { $eq: 2 } }, ['b']],
    [{ tags__k: 2 }, ['b']],
    [{ tags__k: { $ne: 2 } }, ['a', 'c', 'd']],
    [{ tags__k: { $neq: 2 } }, ['a', 'c', 'd']],
    [{ tags__k: { $gt: 1 } }, ['b', 'c']],
    [{ tags__k: { $gte: 2 } }, ['b', 'c']],
    [{ tags__k: { $lt: 2 } }, ['a']],
    [{ tags__k: { $lte: 2 } }, ['a', 'b']],
    [{ tags__k: { $gt: 1, $lt: 3 } }, ['b']],
    [{ tags__color: { $in: ['red', 'blue'] } }, ['a', 'b']],
    [{ tags__color: { $nin: ['red'] } }, ['b', 'c', 'd']],
    [{ tags__list: { $in: [2] } }, ['a']],
    [{ tags__list: { $size: 2 } }, ['a']],
    [{ text: { $regex: '^hello' } }, ['a', 'd']],
    [{ text: { $regex: 'o$' } }, []],
    [{ chunks: { $size: 2 } }, ['b']],
    [{ text: { $exists: true } }, ['a', 'b', 'd']],
    [{ text: { $exists: false } }, ['c']],
    [{ embedding: { $exists: true } }, ['c']],
    [{ mime_type: { $exists: true } }, ['c']],
    [{ mimeType: { $eq: 'image/png' } }, ['c']],
    [{ tags__nested__x: { $eq: 'y' } }, ['b']],
    [{ tags__color: { $exists: true } }, ['a', 'b']],
    [{ tags__missing: { $exists: false } }, ['a', 'b', 'c', 'd']],
    [{ scores__cosine__value: { $lt: 0.5 } }, ['a']],
    [{ scores__cosine__value: { $exists: true } }, ['a', 'b']],
    [{ chunks__1__text: { $eq: 'y' } }, ['b']],
    [{ weight: { $gt: 0 } }, ['a']],
    [{ $or: [{ tags__k: 1 }, { tags__k: 3 }] }, ['a', 'c']],
    [{ $and: [{ tags__k: { $gte: 1 } }, { text: { $regex: 'hello' } }] }, ['a']],
    [{ $not: { tags__k: { $gt: 1 } } }, ['a', 'd']],
    [{ tags__k: { $not: { $gt: 1 } } }, ['a', 'd']],
    [{ tags__k: { $gte: 1 }, text: { $exists: true } }, ['a', 'b']],
    [{ tags__k: { $gt: 'a' } }, []],
    [{}, ['a', 'b', 'c', 'd']],
  ];
  for (const [q, want] of cases) {
    it(`${JSON.stringify(q)} → ${want.join(',') || 'none'}`, () => expect(ids(q)).toEqual(want));
  }

  it('find() with a filter object filters', () => {
    expect(docs().find({ tags__k: { $gte: 2 } }).ids).toEqual(['b', 'c']);
  });

  it('bad queries throw a FilterQueryError naming the problem', () => {
    expect(() => ids({ tags__k: { $foo: 1 } })).toThrow(/unknown operator '\$foo' on field 'tags__k'/);
    expect(() => ids({ nope: 1 })).toThrow(/unknown field 'nope'/);
    expect(() => ids({ $xor: [] })).toThrow(/unknown logical operator '\$xor'/);
    expect(() => ids({ $or: {} })).toThrow(FilterQueryError);
    expect(() => ids({ tags__k: { $in: 1 } })).toThrow(/needs a list/);
    expect(() => ids({ text: { $regex: '(' } })).toThrow(/invalid regular expression/);
    expect(() => ids({ tags__k: { $gt: [] } })).toThrow(/needs a number or string/);
    expect(() => ids({ text: { $exists: 1 } })).toThrow(/true or false/);
    expect(() => docs().filter(null as never)).toThrow(FilterQueryError);
  });
});
