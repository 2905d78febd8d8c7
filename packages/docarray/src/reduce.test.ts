import { describe, expect, it } from 'vitest';
import { Document } from './document.js';
import { DocumentArray } from './document-array.js';
import { Tensor } from './tensor.js';

describe('reduce (semantics.md, Flow topology)', () => {
  it('keeps the first part’s order, appends new ids, fills empty fields (first non-empty wins)', () => {
    const a = new DocumentArray([{ id: '1', text: 'a1' }, { id: '2' }, { id: '3', tags: { x: 1 } }]);
    const b = new DocumentArray([
      { id: '4', text: 'b4' },
      { id: '2', text: 'b2', tags: { y: 2 } },
      { id: '1', text: 'b1', uri: 'u1', weight: 2 },
      { id: '3', tags: { z: 3 }, embedding: Tensor.from([1, 2]) },
    ]);
    const c = new DocumentArray([{ id: '5' }, { id: '2', text: 'c2', mimeType: 'm' }]);
    a.reduceAll([b, c]);
    expect(a.ids).toEqual(['1', '2', '3', '4', '5']);
    expect(a.texts).toEqual(['a1', 'b2', '', 'b4', '']);
    expect(a.get('1')).toMatchObject({ uri: 'u1', weight: 2 });
    expect(a.get('2')!.tags).toEqual({ y: 2 });
    expect(a.get('2')!.mimeType).toBe('m');
    expect(a.get('3')!.tags).toEqual({ x: 1 });
    expect(a.get('3')!.embedding?.toList()).toEqual([1, 2]);
  });

  it('reduces chunks and matches recursively', () => {
    const a = new Document({ id: 'r' });
    a.chunks.push({ id: 'c1' });
    a.matches.push({ id: 'm1', scores: { cosine: { value: 0.1 } } });
    const b = new Document({ id: 'r', text: 'root' });
    b.chunks.push({ id: 'c2' }, { id: 'c1', text: 'from b' });
    b.matches.push({ id: 'm1', scores: { cosine: { value: 0.9 } }, text: 'mb' }, { id: 'm2' });
    const da = new DocumentArray([a]).reduce(new DocumentArray([b]));
    const r = da.at(0)!;
    expect(r.text).toBe('root');
    expect(r.chunks.ids).toEqual(['c1', 'c2']);
    expect(r.chunks.get('c1')!.text).toBe('from b');
    expect(r.matches.ids).toEqual(['m1', 'm2']);
    expect(r.matches.get('m1')!.scores.cosine.value).toBe(0.1);
    expect(r.matches.get('m1')!.text).toBe('mb');
    expect(r.matches.get('m2')!.adjacency).toBe(1);
  });

  it('a content field already set is kept, whichever kind', () => {
    const a = new DocumentArray([{ id: '1', blob: new Uint8Array([1]) }]);
    a.reduce(new DocumentArray([{ id: '1', text: 'x' }]));
    expect(a.at(0)!.contentType).toBe('blob');
  });
});
