import { toBinary } from '@bufbuild/protobuf';
import { createDataRequest, requestDocs, setRequestDocs } from '@weft/core';
import { Document, DocumentArray, Tensor } from '@weft/docarray';
import { DataRequestProtoSchema } from '@weft/proto';
import { fromBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { setResponseDocs } from './response-docs.js';

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
    const bytes = toBinary(DataRequestProtoSchema, viaBytes);
    expect(bytes).toEqual(toBinary(DataRequestProtoSchema, viaMessages));
    const back = requestDocs(fromBinary(DataRequestProtoSchema, bytes));
    expect(back.ids).toEqual(docs.ids);
    expect(back.texts).toEqual(['a', '']);
  });
});
