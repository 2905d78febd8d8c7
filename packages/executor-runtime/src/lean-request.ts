import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { Code, ConnectError } from '@connectrpc/connect';
import { requestDocs } from '@weft/core';
import { splitDataRequest } from '@weft/core/grpc';
import { DocumentArray } from '@weft/docarray';
import { type DataRequestProto, DataRequestProtoSchema, DataRequestProtoWoDataSchema } from '@weft/proto';
import { setResponseDocBytes } from './response-docs.js';

// The executor's lean path: a request arrives as bytes; header, parameters and routes are decoded
// with protobuf-es, the documents straight from their bytes with DocArray's direct codec, once,
// and only when a handler needs them.

/** `DocumentArrayProto` bytes of requests decoded by {@link decodeRequest}, kept until read. */
const rawDocs = new WeakMap<DataRequestProto, Uint8Array>();

/** The `DocumentArrayProto` bytes inside an encoded `data` field (tag 4), from `docs` or `docs_bytes`. */
function documentBytes(data: Uint8Array): Uint8Array | undefined {
  if (data.length === 0) return undefined;
  let found: Uint8Array | undefined;
  const outer = new BinaryReader(data);
  while (outer.pos < outer.len) {
    const [no, wt] = outer.tag();
    if (no !== 4 || wt !== WireType.LengthDelimited) {
      outer.skip(wt, no);
      continue;
    }
    const inner = new BinaryReader(outer.bytes());
    while (inner.pos < inner.len) {
      const [f, w] = inner.tag();
      if ((f === 1 || f === 2) && w === WireType.LengthDelimited) found = inner.bytes();
      else inner.skip(w, f);
    }
  }
  return found;
}

/**
 * Decodes a `DataRequestProto` from its bytes, leaving the documents encoded until
 * {@link docsOf} reads them.
 * @throws ConnectError INVALID_ARGUMENT when the bytes are not a DataRequestProto
 */
export function decodeRequest(bytes: Uint8Array): DataRequestProto {
  try {
    const { head, data } = splitDataRequest(bytes);
    const h = fromBinary(DataRequestProtoWoDataSchema, head);
    const req = create(DataRequestProtoSchema, {
      header: h.header,
      parameters: h.parameters,
      routes: h.routes,
    });
    const docs = documentBytes(data);
    if (docs) rawDocs.set(req, docs);
    return req;
  } catch (err) {
    if (err instanceof ConnectError) throw err;
    throw new ConnectError(
      `the request is not a valid jina.DataRequestProto: ${(err as Error).message}`,
      Code.InvalidArgument,
    );
  }
}

/** The documents of a request, decoded now (from the bytes {@link decodeRequest} kept, if any); each call decodes anew. */
export function docsOf(req: DataRequestProto): DocumentArray {
  const raw = rawDocs.get(req);
  // The bytes stay attached: a response that sets no documents (an error) goes back with them.
  if (raw) return DocumentArray.fromBytes(raw);
  return requestDocs(req);
}

/**
 * Encodes a response. A request whose documents were never read (a pass-through) goes back with
 * its document bytes untouched.
 */
export function encodeResponse(req: DataRequestProto): Uint8Array {
  const raw = rawDocs.get(req);
  if (raw && req.data === undefined) setResponseDocBytes(req, raw);
  return toBinary(DataRequestProtoSchema, req);
}
