import { Document, type DocumentInit, DocumentArray } from '@weft/docarray';

/** What `post` accepts as inputs. */
export type PostInputs =
  | Document
  | DocumentArray
  | readonly (Document | DocumentInit)[]
  | Iterable<Document | DocumentInit>
  | AsyncIterable<Document | DocumentInit>
  | undefined;

/** Groups inputs into DocumentArrays of `size` documents (size ≤ 0: one batch). */
export async function* batches(inputs: PostInputs, size: number): AsyncGenerator<DocumentArray> {
  if (inputs === undefined) {
    yield new DocumentArray();
    return;
  }
  const source: Iterable<Document | DocumentInit> | AsyncIterable<Document | DocumentInit> =
    inputs instanceof Document ? [inputs] : inputs;
  let batch = new DocumentArray();
  for await (const item of source as AsyncIterable<Document | DocumentInit>) {
    batch.push(item instanceof Document ? item : new Document(item));
    if (size > 0 && batch.length >= size) {
      yield batch;
      batch = new DocumentArray();
    }
  }
  if (batch.length) yield batch;
}
