import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentArray } from './document-array.js';
import { fileFormat, loadDocuments, saveDocuments, streamDocuments } from './node.js';
import { Tensor } from './tensor.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-docarray-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const da = new DocumentArray(
  Array.from({ length: 50 }, (_, i) => ({
    id: `d${i}`,
    text: `text ${i}`,
    embedding: Tensor.from([i, 1, 2]),
  })),
);

describe('@weft/docarray/node', () => {
  it('tells formats by extension', () => {
    expect(fileFormat('a/b.protobuf.gz')).toEqual({ kind: 'bytes', compress: 'gzip' });
    expect(fileFormat('x.json')).toEqual({ kind: 'json' });
    expect(fileFormat('x.jsonl.br')).toEqual({ kind: 'jsonl', compress: 'brotli' });
    expect(fileFormat('x.pb.zz')).toEqual({ kind: 'bytes', compress: 'deflate' });
    expect(() => fileFormat('x.txt')).toThrow(/cannot tell the format of 'x.txt'/);
  });

  for (const name of [
    'x.protobuf',
    'x.protobuf.gz',
    'x.pb.br',
    'x.bin.zz',
    'x.json',
    'x.json.gz',
    'x.jsonl',
    'x.ndjson.gz',
  ]) {
    it(`saves, loads and streams ${name}`, async () => {
      const path = join(dir, name);
      await saveDocuments(da, path);
      const back = await loadDocuments(path);
      expect(back.ids).toEqual(da.ids);
      expect(back.at(7)!.embedding!.toList()).toEqual([7, 1, 2]);
      const ids: string[] = [];
      for await (const d of streamDocuments(path)) ids.push(d.id);
      expect(ids).toEqual(da.ids);
    });
  }

  it('a .protobuf.gz file is gzip of a DocumentArrayProto; the streaming form on request', async () => {
    const path = join(dir, 'y.protobuf.gz');
    await saveDocuments(da, path);
    expect(Buffer.from(gunzipSync(await readFile(path))).equals(Buffer.from(da.toBytes()))).toBe(true);
    const s = join(dir, 'z.protobuf');
    await saveDocuments(da, s, { protocol: 'protobuf' });
    expect((await readFile(s))[0]).toBe(1);
    expect((await loadDocuments(s)).length).toBe(50);
  });
});

describe('streamDocuments early exit and errors', () => {
  it('stops reading when the consumer breaks, and reports a corrupt file', async () => {
    const path = join(dir, 'big.protobuf.gz');
    await saveDocuments(da, path);
    let n = 0;
    for await (const _ of streamDocuments(path)) if (++n === 3) break;
    expect(n).toBe(3);
    const { writeFile } = await import('node:fs/promises');
    const bad = join(dir, 'bad.protobuf.gz');
    await writeFile(bad, new Uint8Array([0x1f, 0x8b, 1, 2, 3]));
    await expect(
      (async () => {
        for await (const _ of streamDocuments(bad)) void _;
      })(),
    ).rejects.toThrow();
  });
});
