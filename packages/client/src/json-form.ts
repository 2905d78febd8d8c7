import type { JsonObject } from '@bufbuild/protobuf';
import { DocumentArray, FormatError } from '@weft/docarray';

// The document JSON form of semantics.md ("JSON form"): snake_case keys, blob as base64, tensors
// and embeddings as nested number lists. @weft/docarray owns it (toJSON/fromJSON, browser-safe);
// this file is the one place where the client's JSON transports call it.

/** The JSON form of documents: a list of documents with snake_case keys. */
export function docsToJson(docs: DocumentArray): JsonObject[] {
  return docs.toJSON() as unknown as JsonObject[];
}

/** Reads a list of JSON documents or `{docs: [...]}`; throws `FormatError` naming what is wrong. */
export function docsFromJson(v: unknown): DocumentArray {
  return DocumentArray.fromJSON(v);
}

export { FormatError as JsonFormError };
