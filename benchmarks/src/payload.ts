// Shared benchmark payloads: requests of N documents, each with a 16-character text and a
// 512-dim float32 embedding, as the benchmark specs describe.
import { createDataRequest } from '@weft/core';
import { Document, DocumentArray, Tensor } from '@weft/docarray';
import type { DataRequestProto } from '@weft/proto';

export function makeDocs(n: number, dim = 512): DocumentArray {
  const docs = new DocumentArray();
  for (let i = 0; i < n; i++) {
    const v = new Float32Array(dim);
    for (let j = 0; j < dim; j++) v[j] = Math.sin(i * dim + j);
    docs.push(new Document({ text: `doc-${String(i).padStart(12, '0')}`, embedding: new Tensor(v, [dim]) }));
  }
  return docs;
}

export function makeRequest(nDocs = 32, dim = 512): DataRequestProto {
  return createDataRequest({ endpoint: '/', docs: makeDocs(nDocs, dim) });
}
