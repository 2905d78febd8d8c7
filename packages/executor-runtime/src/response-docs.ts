import { create } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import type { DocumentArray } from '@weft/docarray';
import { type DataRequestProto, DataRequestProto_DataContentProtoSchema } from '@weft/proto';

/** Field number of `docs` in `DataRequestProto.DataContentProto`. */
const DOCS_FIELD = 1;

/**
 * Sets the documents of a response that is about to be serialized. The wire bytes equal those of
 * `data.docs` (field 1, a `DocumentArrayProto`), but they come from DocArray's direct codec
 * (`toBytes()`) instead of building one message per document and encoding those: the field is
 * handed to the encoder as a pre-encoded field. Only for messages that go straight to the wire:
 * in memory, `data.documents` reads as unset.
 */
export function setResponseDocs(req: DataRequestProto, docs: DocumentArray): void {
  setResponseDocBytes(req, docs.toBytes());
}

/** Sets the documents of a response to already-encoded `DocumentArrayProto` bytes (see {@link setResponseDocs}). */
export function setResponseDocBytes(req: DataRequestProto, bytes: Uint8Array): void {
  const data = create(DataRequestProto_DataContentProtoSchema);
  // An unknown field's data is its encoded value: the length prefix, then the bytes.
  data.$unknown = [
    {
      no: DOCS_FIELD,
      wireType: WireType.LengthDelimited,
      data: new BinaryWriter().bytes(bytes).finish(),
    },
  ];
  req.data = data;
}
