import { create } from '@bufbuild/protobuf';
import type { DocumentArray } from '@weft/docarray';
import { type DataRequestProto, DataRequestProto_DataContentProtoSchema } from '@weft/proto';

/**
 * Sets the documents of a response as their encoded `DocumentArrayProto` bytes (DocArray's direct
 * codec, `toBytes()`; an array decoded lazily and never read gives back its original bytes), held
 * as `docsBytes`. `encodeDataRequest` writes them as the `docs` field, the same bytes
 * `setRequestDocs` would give, without building one message per document.
 */
export function setResponseDocs(req: DataRequestProto, docs: DocumentArray): void {
  req.data = create(DataRequestProto_DataContentProtoSchema, {
    documents: { case: 'docsBytes', value: docs.toBytes() },
  });
}
