import { describe, expect, it } from 'vitest';
import { DocumentArray } from './document-array.js';
import { readDocuments } from './stream-reader.js';
import { Tensor } from './tensor.js';

function sample(n: number): DocumentArray {
  return new DocumentArray(
    Array.from({ length: n }, (_, i) => ({ id: `d${i}`, text: `t${i}`, embedding: Tensor.from([i, i + 1]) })),
  );
}

async function* chunked(bytes: Uint8Array, size: number) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(it: AsyncIterable<{ id: string }>) {
  const ids: string[] = [];
  for await (const d of it) ids.push(d.id);
  return ids;
}

describe('readDocuments', () => {
  const da = sample(20);
  const want = da.ids;
  for (const protocol of ['protobuf', 'protobuf-array'] as const) {
    for (const size of [1, 7, 1 << 20]) {
      it(`${protocol} form in chunks of ${size} bytes`, async () => {
        expect(await collect(readDocuments(chunked(da.toBytes({ protocol }), size)))).toEqual(want);
      });
    }
  }

  it('per-document compression of the streaming form, a web ReadableStream, one buffer', async () => {
    const gz = da.toBytes({ protocol: 'protobuf', compress: 'gzip' });
    expect(await collect(readDocuments(chunked(gz, 13)))).toEqual(want);
    const br = da.toBytes({ protocol: 'protobuf', compress: 'brotli' });
    expect(await collect(readDocuments(br, { compress: 'brotli' }))).toEqual(want);
    const stream = new Blob([da.toBytes() as Uint8Array<ArrayBuffer>]).stream();
    expect(await collect(readDocuments(stream))).toEqual(want);
  });

  it('yields before the input ends', async () => {
    const bytes = da.toBytes({ protocol: 'protobuf' });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    async function* slow() {
      yield bytes.subarray(0, bytes.length - 5);
      await gate;
      yield bytes.subarray(bytes.length - 5);
    }
    const it = readDocuments(slow());
    expect((await it.next()).value?.id).toBe('d0');
    release();
    expect((await collect(it)).length).toBe(19);
  });

  it('truncated or foreign input throws a FormatError', async () => {
    const bytes = da.toBytes({ protocol: 'protobuf' });
    await expect(collect(readDocuments(bytes.subarray(0, bytes.length - 3)))).rejects.toThrow(
      /documents missing|ended inside/,
    );
    await expect(collect(readDocuments(new Uint8Array([0x42])))).rejects.toThrow(/first byte 0x42/);
  });
});
