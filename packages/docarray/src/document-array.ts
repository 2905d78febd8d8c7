import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { type DocumentArrayProto, DocumentArrayProtoSchema } from '@weft/proto';
import { Document, type DocumentInit } from './document.js';

/** @internal How a nested DocumentArray relates to its owner. */
export interface NestedOptions {
  parent: Document;
  relation: 'chunks' | 'matches';
}

/**
 * An ordered list of {@link Document}s: the unit of all IO in Weft.
 *
 * @example
 * ```ts
 * const da = DocumentArray.empty(2);
 * da.texts = ['a', 'b'];
 * for (const d of da) console.log(d.id, d.text);
 * ```
 */
export class DocumentArray implements Iterable<Document> {
  #docs: Document[] = [];
  readonly #nested: NestedOptions | undefined;

  constructor(docs: Iterable<Document | DocumentInit> = [], nested?: NestedOptions) {
    this.#nested = nested;
    this.push(...docs);
  }

  /** `n` new empty documents. */
  static empty(n: number): DocumentArray {
    const da = new DocumentArray();
    for (let i = 0; i < n; i++) da.#docs.push(new Document());
    return da;
  }

  get length(): number {
    return this.#docs.length;
  }

  [Symbol.iterator](): Iterator<Document> {
    return this.#docs[Symbol.iterator]();
  }

  /** The document at a position (negative counts from the end). */
  at(index: number): Document | undefined {
    return this.#docs.at(index);
  }

  /** The document with this id, or undefined. */
  get(id: string): Document | undefined {
    return this.#docs.find((d) => d.id === id);
  }

  /** Appends documents (or plain inits); nested arrays set parentId, granularity or adjacency. */
  push(...docs: (Document | DocumentInit)[]): number {
    for (const item of docs) {
      const d = item instanceof Document ? item : new Document(item);
      const n = this.#nested;
      if (n) {
        d.parentId = n.parent.id;
        if (n.relation === 'chunks') d.granularity = n.parent.granularity + 1;
        else d.adjacency = n.parent.adjacency + 1;
      }
      this.#docs.push(d);
    }
    return this.#docs.length;
  }

  /** @internal Appends documents as they are, without touching their relation fields. */
  pushRaw(docs: Document[]): void {
    for (const d of docs) this.#docs.push(d);
  }

  map<T>(fn: (d: Document, i: number) => T): T[] {
    return this.#docs.map(fn);
  }

  /** The texts of all documents. */
  get texts(): string[] {
    return this.#docs.map((d) => d.text);
  }
  set texts(values: readonly string[]) {
    if (values.length !== this.#docs.length) {
      throw new RangeError(`texts: got ${values.length} values for ${this.#docs.length} documents`);
    }
    values.forEach((t, i) => {
      this.#docs[i]!.text = t;
    });
  }

  /** The ids of all documents. */
  get ids(): string[] {
    return this.#docs.map((d) => d.id);
  }

  /** A plain array copy of the documents. */
  toArray(): Document[] {
    return [...this.#docs];
  }

  /** The wire message. */
  toProto(): DocumentArrayProto {
    return create(DocumentArrayProtoSchema, { docs: this.#docs.map((d) => d.toProto()) });
  }

  /** Reads a wire message. */
  static fromProto(p: DocumentArrayProto): DocumentArray {
    const da = new DocumentArray();
    da.#docs = p.docs.map((d) => Document.fromProto(d));
    return da;
  }

  /** Serialized `DocumentArrayProto` bytes. */
  toBytes(): Uint8Array {
    return toBinary(DocumentArrayProtoSchema, this.toProto());
  }

  /** Reads serialized `DocumentArrayProto` bytes. */
  static fromBytes(bytes: Uint8Array): DocumentArray {
    return DocumentArray.fromProto(fromBinary(DocumentArrayProtoSchema, bytes));
  }
}
