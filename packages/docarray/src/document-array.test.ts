import { describe, expect, it } from 'vitest';
import { Document } from './document.js';
import { DocumentArray } from './document-array.js';
import { Tensor } from './tensor.js';
import { FormatError } from './errors.js';

const abc = () =>
  new DocumentArray(
    ['a', 'b', 'c', 'd', 'e'].map((id, i) => ({
      id,
      text: id.toUpperCase(),
      tags: { i, even: i % 2 === 0 },
    })),
  );

describe('DocumentArray indexing', () => {
  it('by position, negative position, id, slice, mask, ids, positions and path', () => {
    const da = abc();
    expect(da.select(0)!.id).toBe('a');
    expect(da.select(-1)!.id).toBe('e');
    expect(da.at(-2)!.id).toBe('d');
    expect((da.select('c') as Document).text).toBe('C');
    expect(da.get('zz')).toBeUndefined();
    expect(da.select({ start: 1, stop: 4, step: 2 }).ids).toEqual(['b', 'd']);
    expect(da.slice(-2).ids).toEqual(['d', 'e']);
    expect(da.slice(undefined, undefined, -2).ids).toEqual(['e', 'c', 'a']);
    expect(da.select([true, false, true, false, false]).ids).toEqual(['a', 'c']);
    expect(da.select(['e', 'a']).ids).toEqual(['e', 'a']);
    expect(da.select([4, -5]).ids).toEqual(['e', 'a']);
    expect((da.select('@r[1:3]') as DocumentArray).ids).toEqual(['b', 'c']);
    expect(() => da.select([true])).toThrow(/boolean mask has 1 entries for 5 documents/);
    expect(() => da.select(['nope'])).toThrow(/no document with id 'nope'/);
    expect(() => da.select([9])).toThrow(/position 9 is out of range/);
  });

  it('get by id stays right after ids change and documents move', () => {
    const da = abc();
    expect(da.get('b')!.text).toBe('B');
    da.at(1)!.id = 'bb';
    expect(da.get('b')).toBeUndefined();
    expect(da.get('bb')!.text).toBe('B');
    da.reverse();
    expect(da.indexOf('bb')).toBe(3);
    expect(da.has('a')).toBe(true);
  });

  it('list operations', () => {
    const da = abc();
    expect(da.remove(['a', -1]).map((d) => d.id)).toEqual(['a', 'e']);
    expect(da.ids).toEqual(['b', 'c', 'd']);
    da.insert(-1, { id: 'x' });
    expect(da.ids).toEqual(['b', 'c', 'x', 'd']);
    expect(da.pop()!.id).toBe('d');
    da.extend([{ id: 'y' }]).sort((p, q) => q.id.localeCompare(p.id));
    expect(da.ids).toEqual(['y', 'x', 'c', 'b']);
    expect(da.concat(abc().slice(0, 1)).length).toBe(5);
    da.clear();
    expect(da.length).toBe(0);
  });

  it('bulk getters and setters', () => {
    const da = DocumentArray.empty(3);
    da.texts = ['x', 'y', 'z'];
    da.ids = ['1', '2', '3'];
    da.tags = [{ a: 1 }, { a: 2 }, { a: 3 }];
    expect(da.get('2')!.text).toBe('y');
    expect(da.tags.map((t) => t.a)).toEqual([1, 2, 3]);
    const m = Tensor.from([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    da.embeddings = m;
    expect(da.at(1)!.embedding!.toList()).toEqual([3, 4]);
    expect(da.at(1)!.embedding!.data.buffer).toBe(m.data.buffer);
    const back = da.embeddings!;
    expect(back.shape).toEqual([3, 2]);
    expect(back.data.buffer).toBe(m.data.buffer); // rows of one buffer: zero-copy
    da.embeddings = [Tensor.from([9, 9]), Tensor.from([8, 8]), Tensor.from([7, 7])];
    expect(da.embeddings!.toList()).toEqual([
      [9, 9],
      [8, 8],
      [7, 7],
    ]);
    da.tensors = Tensor.from([[[1]], [[2]], [[3]]], '<i4');
    expect(da.tensors!.shape).toEqual([3, 1, 1]);
    expect(da.getAttributes('id')).toEqual(['1', '2', '3']);
    da.setAttributes('uri', ['u1', 'u2', 'u3']);
    expect(da.at(2)!.uri).toBe('u3');
    expect(() => (da.texts = ['a'])).toThrow(/text: got 1 values for 3 documents/);
    da.at(0)!.embedding = undefined;
    expect(() => da.embeddings).toThrow(/document 0 \(id '1'\) has no embedding/);
    da.embeddings = undefined;
    expect(da.embeddings).toBeUndefined();
  });

  it('batch, splitByTag, shuffle, sample', () => {
    const da = abc();
    expect([...da.batch(2)].map((b) => b.ids)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect([...da.batch(2, { shuffle: true, seed: 1 })].flatMap((b) => b.ids).sort()).toEqual(da.ids);
    const groups = da.splitByTag('even');
    expect([...groups.keys()]).toEqual([true, false]);
    expect(groups.get(true)!.ids).toEqual(['a', 'c', 'e']);
    expect(da.shuffle({ seed: 7 }).ids).toEqual(da.shuffle({ seed: 7 }).ids);
    expect(da.shuffle({ seed: 7 }).ids.sort()).toEqual(da.ids);
    const s = da.sample(3, { seed: 3 });
    expect(new Set(s.ids).size).toBe(3);
    expect(() => da.sample(6)).toThrow(/cannot sample 6 of 5/);
    expect(() => [...da.batch(0)]).toThrow(/batch size must be a positive integer/);
  });

  it('apply and mapAsync run sync and async functions with bounded concurrency, in order', async () => {
    const da = abc();
    let running = 0;
    let peak = 0;
    const out = await da.mapAsync(
      async (d, i) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5 * (5 - i)));
        running--;
        return d.id;
      },
      { concurrency: 2 },
    );
    expect(out).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(peak).toBe(2);
    await da.apply((d) => {
      d.text += '!';
    });
    expect(da.texts).toEqual(['A!', 'B!', 'C!', 'D!', 'E!']);
    await da.apply(async (d) => new Document({ id: d.id, text: 'new' }));
    expect(da.texts.every((t) => t === 'new')).toBe(true);
    expect(await da.applyBatch((b) => b.length, { batchSize: 2 })).toEqual([2, 2, 1]);
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(da.mapAsync((d) => d.id, { signal: ac.signal })).rejects.toThrow('stop');
  });

  it('summary() counts fields and shapes', () => {
    const da = abc();
    da.embeddings = Tensor.from([[1], [2], [3], [4], [5]]);
    da.at(0)!.chunks.push({});
    expect(da.summary()).toBe(
      [
        'DocumentArray: 5 documents',
        '  chunks: 1 in total',
        '  field            documents  details',
        '  id                       5',
        '  text                     5',
        '  embedding                5  <f4 [1]',
        '  tags                     5',
      ].join('\n'),
    );
  });

  it('forms: proto, bytes (both forms, compressed), base64, JSON', () => {
    const da = abc();
    da.at(0)!.embedding = Tensor.from([1, 2]);
    const same = (x: DocumentArray) =>
      expect(x.map((d) => [d.id, d.text, d.tags])).toEqual(da.map((d) => [d.id, d.text, d.tags]));
    same(DocumentArray.fromProto(da.toProto()));
    same(DocumentArray.fromBytes(da.toBytes({ protocol: 'protobuf', compress: 'gzip' })));
    same(DocumentArray.fromBytes(da.toBytes({ compress: 'deflate' })));
    same(DocumentArray.fromBytes(da.toBytes({ compress: 'brotli' }), { compress: 'brotli' }));
    same(DocumentArray.fromBase64(da.toBase64()));
    same(DocumentArray.fromJSON(JSON.stringify(da)));
    same(DocumentArray.fromJSON({ docs: da.toJSON() }));
    expect(DocumentArray.fromJSON(JSON.stringify(da)).at(0)!.embedding!.toList()).toEqual([1, 2]);
    expect(() => DocumentArray.fromJSON('{"x":1}')).toThrow(/must be a list of documents/);
    expect(() => DocumentArray.fromBytes(new Uint8Array([0x0a, 0x09, 0x01]))).toThrow(/malformed/);
    expect(() => da.toBytes({ protocol: 'pickle' as never })).toThrow(/unknown protocol 'pickle'/);
  });
});

describe('fromBytes with lazy', () => {
  const source = () =>
    new DocumentArray([
      { id: 'a', text: 'alpha', embedding: new Tensor(new Float32Array([1, 2]), [2]) },
      { id: 'b', text: 'beta', chunks: [{ text: 'c' }] },
    ]);

  it('decodes on first use and then behaves like an eager array', () => {
    const bytes = source().toBytes();
    const lazy = DocumentArray.fromBytes(bytes, { lazy: true });
    expect(lazy.length).toBe(2);
    expect(lazy.texts).toEqual(['alpha', 'beta']);
    expect(lazy.get('b')!.chunks.texts).toEqual(['c']);
    lazy.push(new Document({ id: 'z' }));
    expect(lazy.ids).toEqual(['a', 'b', 'z']);
    expect(DocumentArray.fromBytes(lazy.toBytes()).ids).toEqual(['a', 'b', 'z']);
  });

  it('gives back the bytes it was made from while nobody read it', () => {
    const src = source();
    const bytes = src.toBytes();
    expect(DocumentArray.fromBytes(bytes, { lazy: true }).toBytes()).toBe(bytes);
    const empty = new Uint8Array(0);
    expect(DocumentArray.fromBytes(empty, { lazy: true }).toBytes()).toBe(empty);
    // Other encodings are produced anew.
    const gz = DocumentArray.fromBytes(bytes, { lazy: true }).toBytes({ compress: 'gzip' });
    expect(DocumentArray.fromBytes(gz).texts).toEqual(['alpha', 'beta']);
    const stream = src.toBytes({ protocol: 'protobuf' });
    const fromStream = DocumentArray.fromBytes(stream, { lazy: true }).toBytes();
    expect(fromStream).not.toBe(stream);
    expect(Buffer.from(fromStream).equals(Buffer.from(bytes))).toBe(true);
  });

  it('re-encodes after a change, and replacing its documents drops the pending bytes', () => {
    const bytes = source().toBytes();
    const changed = DocumentArray.fromBytes(bytes, { lazy: true });
    for (const d of changed) d.text += '!';
    expect(DocumentArray.fromBytes(changed.toBytes()).texts).toEqual(['alpha!', 'beta!']);
    const cleared = DocumentArray.fromBytes(bytes, { lazy: true });
    cleared.clear();
    expect(cleared.length).toBe(0);
    expect(cleared.toBytes().length).toBe(0);
  });

  it('throws a FormatError for malformed bytes on first use, and again on the next', () => {
    const bad = DocumentArray.fromBytes(new Uint8Array([0x0a, 0x09, 0x01]), { lazy: true });
    expect(() => bad.length).toThrow(FormatError);
    expect(() => bad.texts).toThrow(FormatError);
  });
});
