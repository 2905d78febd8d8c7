import { requestDocs } from '@weft/core';
import { DocumentArray } from '@weft/docarray';
import type { DataRequestProto } from '@weft/proto';

// The executor's lean path reads requests with `decodeDataRequest` (header, parameters and routes
// decoded, the documents kept as their bytes) and writes answers with `encodeDataRequest`; the
// documents are decoded with DocArray's direct codec on first use by a handler.

/** The documents of a request: decoded on first use when they are still bytes. */
export function docsOf(req: DataRequestProto): DocumentArray {
  const d = req.data?.documents;
  if (d?.case === 'docsBytes') return DocumentArray.fromBytes(d.value, { lazy: true });
  return requestDocs(req);
}
