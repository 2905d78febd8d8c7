import { describe, expect, it } from 'vitest';
import { Document, DocumentArray, Tensor } from './index.js';

describe('Document (core slice)', () => {
  it('has a 32-hex id and empty text by default', () => {
    const d = new Document();
    expect(d.id).toMatch(/^[0-9a-f]{32}$/);
    expect(d.text).toBe('');
  });
  it('round-trips through proto bytes', () => {
    const d = new Document({
      id: 'd1',
      text: 'hello',
      embedding: new Tensor(new Float32Array([1, 2, 3])),
      tags: { k: 1 },
    });
    d.chunks.push(new Document({ id: 'c' }));
    const back = DocumentArray.fromBytes(new DocumentArray([d]).toBytes()).at(0)!;
    expect(back.text).toBe('hello');
    expect(Array.from(back.embedding!.data as Float32Array)).toEqual([1, 2, 3]);
    expect(back.tags).toEqual({ k: 1 });
    expect(back.chunks.at(0)).toMatchObject({ id: 'c', parentId: 'd1', granularity: 1 });
  });
});
