import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { DocumentArrayProtoSchema, DocumentProtoSchema } from '@weft/proto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Compression } from './compression.js';
import { Document } from './document.js';
import { DocumentArray } from './document-array.js';
import { documentArb, snapshot } from './test-fixtures/arbitraries.js';

const RUNS = { numRuns: 150 };

describe('property: any Document round-trips unchanged', () => {
  it('through proto messages and protobuf-es bytes', () => {
    fc.assert(
      fc.property(documentArb(), (d) => {
        const back = Document.fromProto(
          fromBinary(DocumentProtoSchema, toBinary(DocumentProtoSchema, d.toProto())),
        );
        expect(snapshot(back)).toEqual(snapshot(d));
      }),
      RUNS,
    );
  });

  it('through the direct codec, byte-identical to protobuf-es', () => {
    fc.assert(
      fc.property(documentArb(), (d) => {
        const bytes = d.toBytes();
        expect(Buffer.from(bytes).equals(Buffer.from(toBinary(DocumentProtoSchema, d.toProto())))).toBe(true);
        expect(snapshot(Document.fromBytes(bytes))).toEqual(snapshot(d));
      }),
      RUNS,
    );
  });

  it('through DocumentArray bytes: both forms, every compression', () => {
    const compressions: (Compression | undefined)[] = [undefined, 'gzip', 'deflate', 'brotli'];
    fc.assert(
      fc.property(
        fc.array(documentArb(), { maxLength: 3 }),
        fc.constantFrom(...compressions),
        fc.constantFrom('protobuf-array' as const, 'protobuf' as const),
        (docs, compress, protocol) => {
          const da = new DocumentArray(docs);
          const bytes = da.toBytes({ protocol, compress });
          if (!compress && protocol === 'protobuf-array') {
            expect(
              Buffer.from(bytes).equals(Buffer.from(toBinary(DocumentArrayProtoSchema, da.toProto()))),
            ).toBe(true);
          }
          const back = DocumentArray.fromBytes(bytes, { protocol, compress });
          expect(back.map(snapshot)).toEqual(da.map(snapshot));
          if (compress !== 'brotli')
            expect(DocumentArray.fromBytes(bytes).map(snapshot)).toEqual(da.map(snapshot));
        },
      ),
      { numRuns: 80 },
    );
  });

  it('through JSON text (tensors as protobuf JSON keep every dtype)', () => {
    fc.assert(
      fc.property(documentArb({ json: true }), (d) => {
        const text = JSON.stringify(d.toJSON({ tensorFormat: 'proto' }));
        expect(snapshot(Document.fromJSON(text))).toEqual(snapshot(d));
      }),
      RUNS,
    );
  });

  it('through JSON text with tensors as nested lists (float32)', () => {
    fc.assert(
      fc.property(documentArb({ json: true, dtypes: ['<f4'] }), (d) => {
        const text = JSON.stringify(d);
        expect(snapshot(Document.fromJSON(text))).toEqual(snapshot(d));
        expect(snapshot(DocumentArray.fromJSON(JSON.stringify(new DocumentArray([d]))).at(0)!)).toEqual(
          snapshot(d),
        );
      }),
      RUNS,
    );
  });

  it('through base64', () => {
    fc.assert(
      fc.property(documentArb(), (d) => {
        expect(snapshot(Document.fromBase64(d.toBase64({ compress: 'gzip' }), { compress: 'gzip' }))).toEqual(
          snapshot(d),
        );
      }),
      { numRuns: 50 },
    );
  });
});
