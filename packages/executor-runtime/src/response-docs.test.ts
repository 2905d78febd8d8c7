import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { createDataRequest, requestDocs, setRequestDocs } from '@weft/core';
import { decodeDataRequest, encodeDataRequest } from '@weft/core/grpc';
import { Document, DocumentArray, Tensor } from '@weft/docarray';
import { DataRequestProtoSchema } from '@weft/proto';
import { describe, expect, it } from 'vitest';
import { setResponseDocs } from './response-docs.js';

const flat = (m: Uint8Array | readonly Uint8Array[]) =>
  m instanceof Uint8Array ? m : new Uint8Array(Buffer.concat(m.map((p) => Buffer.from(p))));

describe('setResponseDocs', () => {
  it('gives the same wire bytes as data.docs, which decode back to the same documents', () => {
    const docs = new DocumentArray([
      new Document({ text: 'a', tags: { k: 1 } }),
      new Document({ embedding: new Tensor(new Float32Array([1, 2, 3]), [3]) }),
    ]);
    const viaMessages = createDataRequest({ requestId: 'r'.repeat(32), parameters: { p: 1 } });
    const viaBytes = createDataRequest({ requestId: 'r'.repeat(32), parameters: { p: 1 } });
    setRequestDocs(viaMessages, docs);
    setResponseDocs(viaBytes, docs);
    const bytes = flat(encodeDataRequest(viaBytes));
    expect(bytes).toEqual(toBinary(DataRequestProtoSchema, viaMessages));
    const back = requestDocs(fromBinary(DataRequestProtoSchema, bytes));
    expect(back.ids).toEqual(docs.ids);
    expect(back.texts).toEqual(['a', '']);
  });

  it('hands back the request bytes of documents decoded lazily and never read', () => {
    const docs = new DocumentArray([{ text: 'x', embedding: new Tensor(new Float32Array(8), [8]) }]);
    const wire = toBinary(DataRequestProtoSchema, createDataRequest({ docs }));
    const req = decodeDataRequest(wire);
    const raw = req.data!.documents.value as Uint8Array;
    const lazy = DocumentArray.fromBytes(raw, { lazy: true });
    setResponseDocs(req, lazy);
    expect(req.data!.documents.value).toBe(raw); // not decoded, not re-encoded
    expect(flat(encodeDataRequest(req))).toEqual(wire);
    const read = DocumentArray.fromBytes(raw, { lazy: true });
    read.texts = ['changed'];
    setResponseDocs(req, read);
    expect(requestDocs(fromBinary(DataRequestProtoSchema, flat(encodeDataRequest(req)))).texts).toEqual([
      'changed',
    ]);
  });
});
