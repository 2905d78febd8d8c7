import { describe, expect, it } from 'vitest';
import { Document } from './document.js';
import { DocumentArray } from './document-array.js';
import { Tensor } from './tensor.js';

describe('Document', () => {
  it('has a 32-hex id and empty text by default', () => {
    const d = new Document();
    expect(d.id).toMatch(/^[0-9a-f]{32}$/);
    expect(d.text).toBe('');
    expect(d.contentType).toBeUndefined();
    expect(d.isEmpty()).toBe(true);
  });

  it('content is one of text, blob, tensor: setting one clears the others', () => {
    const d = new Document({ text: 'hi' });
    d.blob = new Uint8Array([1]);
    expect(d.text).toBe('');
    expect(d.contentType).toBe('blob');
    d.tensor = Tensor.from([1]);
    expect(d.blob).toBeUndefined();
    expect(d.content).toBe(d.tensor);
    d.text = 'again';
    expect(d.tensor).toBeUndefined();
    d.clearContent();
    expect(d.contentType).toBeUndefined();
  });

  it('chunks and matches set parentId, granularity and adjacency on append', () => {
    const d = new Document({ id: 'p', granularity: 2, adjacency: 5 });
    d.chunks.push({ id: 'c' });
    d.matches = [new Document({ id: 'm' })];
    expect(d.chunks.at(0)).toMatchObject({ parentId: 'p', granularity: 3, adjacency: 0 });
    expect(d.matches.at(0)).toMatchObject({ parentId: 'p', adjacency: 6, granularity: 0 });
    d.chunks.insert(0, { id: 'c0' });
    d.chunks.set(1, { id: 'c1' });
    expect(d.chunks.ids).toEqual(['c0', 'c1']);
    expect(d.chunks.at(1)).toMatchObject({ parentId: 'p', granularity: 3 });
  });

  it('reading a missing score gives an empty score; writing through it stores it', () => {
    const d = new Document();
    expect(d.scores.cosine).toEqual({ value: 0 });
    expect('cosine' in d.scores).toBe(false);
    expect(d.hasScores).toBe(false);
    d.scores.cosine.value = 0.25;
    expect(d.scores.cosine.value).toBe(0.25);
    expect(Object.keys(d.scores)).toEqual(['cosine']);
    d.evaluations.precision = { value: 1, opName: 'p@1' };
    expect(d.evaluations.precision).toEqual({ value: 1, opName: 'p@1' });
    expect(JSON.stringify(d.scores)).toBe('{"cosine":{"value":0.25}}');
  });

  it('isEmpty and nonEmptyFields follow DocArray (empty string, zero, empty list/object)', () => {
    const d = new Document({ id: 'x', text: 'a', tags: { k: 1 }, weight: 0, location: [] });
    expect(d.nonEmptyFields).toEqual(['id', 'text', 'tags']);
    expect(d.isEmpty('weight')).toBe(true);
    expect(d.isEmpty('tags')).toBe(false);
    expect(d.isEmpty('chunks')).toBe(true);
    d.chunks.push({});
    expect(d.isEmpty('chunks')).toBe(false);
    expect(d.isEmpty()).toBe(false);
    expect(new Document({ id: 'y' }).isEmpty()).toBe(true);
  });

  it('copy is shallow by default and deep on request', () => {
    const d = new Document({ text: 'x', tags: { a: [1] }, embedding: Tensor.from([1]) });
    d.chunks.push({ id: 'c' });
    const s = d.copy();
    expect(s.id).toBe(d.id);
    expect(s.embedding).toBe(d.embedding);
    expect(s.tags).not.toBe(d.tags);
    expect(s.chunks.at(0)).toBe(d.chunks.at(0));
    const deep = d.copy({ deep: true });
    expect(deep.embedding).not.toBe(d.embedding);
    expect(deep.chunks.at(0)).not.toBe(d.chunks.at(0));
    expect(deep.chunks.at(0)!.parentId).toBe(d.id);
  });

  it('summary() prints a readable tree', () => {
    const d = new Document({ id: 'root', text: 'hello', tags: { k: 1 }, embedding: Tensor.from([1, 2, 3]) });
    d.chunks.push({ id: 'c1', text: 'he' });
    d.matches.push({ id: 'm1', scores: { cosine: { value: 0.5 } } });
    expect(d.summary()).toBe(
      [
        'Document root',
        '├─ text: "hello"',
        '├─ embedding: <f4 [3]',
        '├─ tags: {"k":1}',
        '├─ chunks (1)',
        '│  Document c1',
        '│  ├─ text: "he"',
        '│  ├─ granularity: 1',
        '│  └─ parent_id: "root"',
        '└─ matches (1)',
        '   Document m1',
        '   ├─ adjacency: 1',
        '   ├─ parent_id: "root"',
        '   └─ scores: cosine=0.5',
      ].join('\n'),
    );
  });

  it('JSON: snake_case keys, base64 blob, nested lists, empty fields omitted, camelCase accepted', () => {
    const d = new Document({ id: 'x', blob: new Uint8Array([1, 2, 3]), mimeType: 'a/b', parentId: 'p' });
    d.embedding = Tensor.from([[1, 2]]);
    d.scores.cosine = { value: 0.5, opName: 'cos' };
    expect(d.toJSON()).toEqual({
      id: 'x',
      blob: 'AQID',
      mime_type: 'a/b',
      parent_id: 'p',
      embedding: [[1, 2]],
      scores: { cosine: { value: 0.5, op_name: 'cos' } },
    });
    const back = Document.fromJSON({
      id: 'y',
      mimeType: 'c/d',
      parentId: 'q',
      scores: { s: { value: 1, opName: 'o' } },
      metadata: { m: 1 },
    });
    expect(back).toMatchObject({ id: 'y', mimeType: 'c/d', parentId: 'q' });
    expect(back.scores.s).toEqual({ value: 1, opName: 'o' });
    expect(back.metadata).toEqual({ m: 1 });
    expect(Document.fromJSON({ chunks: [{ id: 'c' }] }).chunks.at(0)!.granularity).toBe(1);
    expect(() => Document.fromJSON({ text: 5 })).toThrow(/field 'text' must be a string, got 5/);
    expect(() => Document.fromJSON({ embedding: 'x' })).toThrow(
      /field 'embedding' must be nested number lists/,
    );
  });

  it('loads uri into text or blob: data URIs and files', async () => {
    const d = new Document({ uri: 'data:text/plain;charset=utf-8;base64,aMOpbGxv' });
    await d.loadUriToText();
    expect(d.text).toBe('héllo');
    expect(d.mimeType).toBe('text/plain');
    const p = new Document({ uri: 'data:,a%20b' });
    await p.loadUriToBlob();
    expect([...p.blob!]).toEqual([97, 32, 98]);
    const f = new Document({ uri: new URL('../package.json', import.meta.url).pathname });
    await f.loadUriToText();
    expect(JSON.parse(f.text).name).toBe('@weft/docarray');
    expect(f.mimeType).toBe('application/json');
    await expect(new Document({ uri: '/no/such/file' }).loadUriToText()).rejects.toThrow(
      /cannot read '\/no\/such\/file'/,
    );
    await expect(new Document().loadUriToBlob()).rejects.toThrow(/no uri/);
    const t = new Document({ text: 'hi' }).convertContentToDataUri();
    expect(t.uri).toBe('data:text/plain;charset=utf-8;base64,aGk=');
  });

  it('toBytes/fromBytes with compression; malformed bytes give a FormatError', () => {
    const d = new Document({ id: 'z', text: 'x'.repeat(100) });
    for (const compress of ['gzip', 'deflate', 'brotli'] as const) {
      const b = d.toBytes({ compress });
      expect(b.length).toBeLessThan(d.toBytes().length);
      expect(Document.fromBytes(b, { compress }).text).toBe(d.text);
    }
    expect(Document.fromBytes(d.toBytes({ compress: 'gzip' })).text).toBe(d.text);
    expect(() => Document.fromBytes(new Uint8Array([0x0a, 0x05, 0x61]))).toThrow(/malformed protobuf/);
    expect(() => d.toBytes({ compress: 'lz4' as never })).toThrow(/unknown compression 'lz4'/);
  });

  it('DocumentArray relations survive wire decoding as they were sent', () => {
    const da = DocumentArray.fromBytes(new DocumentArray([{ id: 'a', chunks: [{ id: 'c' }] }]).toBytes());
    expect(da.at(0)!.chunks.at(0)).toMatchObject({ parentId: 'a', granularity: 1 });
  });
});

// Kept from the core slice's test (other packages rely on this behaviour).
describe('Document (core slice)', () => {
  it('round-trips through proto bytes', async () => {
    const { Document: D, DocumentArray: DA, Tensor: T } = await import('./index.js');
    const d = new D({
      id: 'd1',
      text: 'hello',
      embedding: new T(new Float32Array([1, 2, 3])),
      tags: { k: 1 },
    });
    d.chunks.push(new D({ id: 'c' }));
    const back = DA.fromBytes(new DA([d]).toBytes()).at(0)!;
    expect(back.text).toBe('hello');
    expect(Array.from(back.embedding!.data as Float32Array)).toEqual([1, 2, 3]);
    expect(back.tags).toEqual({ k: 1 });
    expect(back.chunks.at(0)).toMatchObject({ id: 'c', parentId: 'd1', granularity: 1 });
  });
});
