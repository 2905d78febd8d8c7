import { requestDocs } from '@weft/core';
import { decodeDataRequest, encodeDataRequest, type LeanMessage } from '@weft/core/grpc';
import { DocumentArray } from '@weft/docarray';
import type { DataRequestProto } from '@weft/proto';

// The executor's lean path: a request arrives as bytes; header, parameters and routes are decoded
// with protobuf-es, the documents kept as their bytes and decoded with DocArray's direct codec on
// first use by a handler; a response whose documents nobody read goes back with the same bytes.

/**
 * Decodes a `DataRequestProto` from its bytes, leaving the documents encoded (`docsBytes`).
 * @throws ConnectError INVALID_ARGUMENT when the bytes are not a DataRequestProto
 */
export const decodeRequest: (bytes: Uint8Array) => DataRequestProto = decodeDataRequest;

/** The documents of a request: decoded on first use when they are still bytes. */
export function docsOf(req: DataRequestProto): DocumentArray {
  const d = req.data?.documents;
  if (d?.case === 'docsBytes') return DocumentArray.fromBytes(d.value, { lazy: true });
  return requestDocs(req);
}

/** Encodes a response; documents held as bytes are written without copying them. */
export const encodeResponse: (req: DataRequestProto) => LeanMessage = encodeDataRequest;
