import { Document, DocumentArray, type DocumentJson } from '@weft/docarray';

// The doors' JSON form of documents is @weft/docarray's (snake_case keys, base64 blobs, tensors as
// nested lists); this file adds where in the request body a bad document is.

/** Error for a JSON document that does not have the shape of a Document; `path` says where. */
export class JsonFormError extends Error {
  override name = 'JsonFormError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The JSON form of a document array: a list of documents. */
export function docsToJson(docs: DocumentArray): DocumentJson[] {
  return docs.toJSON();
}

/** Reads a list of JSON documents, or `{docs: [...]}`; throws {@link JsonFormError} naming the bad document. */
export function docsFromJson(v: unknown, path = 'data'): DocumentArray {
  const list = isObject(v) && Array.isArray(v.docs) ? v.docs : v;
  if (!Array.isArray(list)) throw new JsonFormError(path, 'expected a list of documents or {docs: [...]}');
  const docs = list.map((item, i) => {
    if (!isObject(item)) throw new JsonFormError(`${path}[${i}]`, 'expected a document object');
    try {
      return Document.fromJSON(item);
    } catch (err) {
      throw new JsonFormError(`${path}[${i}]`, (err as Error).message);
    }
  });
  return new DocumentArray(docs);
}
