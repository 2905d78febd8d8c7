import { Document, DocumentArray, type DocumentInit } from '@weft/docarray';
import { ClientConfigError } from './errors.js';

/** One input item: a Document or the fields of one. */
export type InputDocument = Document | DocumentInit;

/**
 * What `post` and `stream` accept as inputs: a Document, a DocumentArray, an array, a sync or
 * async iterable (e.g. a generator), a function returning one of those (a generator function),
 * or nothing (one request without documents, parameters only).
 */
export type PostInputs =
  | Document
  | DocumentArray
  | readonly InputDocument[]
  | Iterable<InputDocument>
  | AsyncIterable<InputDocument>
  | (() => Iterable<InputDocument> | AsyncIterable<InputDocument>)
  | undefined;

/** The number of documents in `inputs` when it is known without iterating. */
export function inputLength(inputs: PostInputs): number | undefined {
  if (inputs === undefined) return 0;
  if (inputs instanceof Document) return 1;
  if (inputs instanceof DocumentArray) return inputs.length;
  if (Array.isArray(inputs)) return inputs.length;
  return undefined;
}

function source(
  inputs: Exclude<PostInputs, undefined>,
): Iterable<InputDocument> | AsyncIterable<InputDocument> {
  if (inputs instanceof Document) return [inputs];
  const it = typeof inputs === 'function' ? inputs() : inputs;
  if (
    it === null ||
    typeof it !== 'object' ||
    !(Symbol.iterator in it || Symbol.asyncIterator in (it as object))
  ) {
    throw new ClientConfigError(
      `inputs: expected a Document, DocumentArray, array, (async) iterable or a function returning one; got ${it === null ? 'null' : typeof it}`,
    );
  }
  return it;
}

function toDocument(item: InputDocument, index: number): Document {
  if (item instanceof Document) return item;
  if (item === null || typeof item !== 'object') {
    throw new ClientConfigError(
      `inputs[${index}]: expected a Document or an object of Document fields, got ${item === null ? 'null' : typeof item}`,
    );
  }
  return new Document(item);
}

/**
 * Groups inputs into DocumentArrays of `size` documents (size ≤ 0: one batch with everything).
 * Pulls the source lazily: a batch is read only when the consumer asks for it.
 */
export async function* batches(inputs: PostInputs, size: number): AsyncGenerator<DocumentArray> {
  if (inputs === undefined) {
    yield new DocumentArray();
    return;
  }
  const src = source(inputs);
  let batch: Document[] = [];
  let index = 0;
  const flush = () => {
    const da = new DocumentArray();
    da.pushRaw(batch);
    batch = [];
    return da;
  };
  if (Symbol.asyncIterator in src) {
    for await (const item of src) {
      batch.push(toDocument(item, index++));
      if (size > 0 && batch.length >= size) yield flush();
    }
  } else {
    for (const item of src) {
      batch.push(toDocument(item, index++));
      if (size > 0 && batch.length >= size) yield flush();
    }
  }
  if (batch.length || index === 0) yield flush();
}
