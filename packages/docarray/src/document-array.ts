import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import { type DocumentArrayProto, DocumentArrayProtoSchema } from '@weft/proto';
import { base64ToBytes, bytesToBase64 } from './base64.js';
import {
  type ConcurrencyOptions,
  groupByTag,
  mapConcurrent,
  positiveInt,
  type RandomOptions,
  sampled,
  shuffled,
} from './batching.js';
import { getFieldValues, setFieldValues, setTensorField, stackField } from './bulk-attributes.js';
import {
  decodeDocuments,
  encodeDocuments,
  type FromBytesOptions,
  type ToBytesOptions,
} from './bytes-form.js';
import { Document, type DocumentInit } from './document.js';
import { DocArrayError } from './errors.js';
import type { DocumentField } from './fields.js';
import { compileFilter, type FilterQuery } from './filter-query.js';
import { type FindQuery, findIn, type FindOptions, matchInto } from './find-api.js';
import { type DocumentJson, documentsFromJson, type ToJsonOptions } from './json-form.js';
import { reduceArray } from './reduce.js';
import { arraySummary } from './summary.js';
import type { Tensor } from './tensor.js';
import { selectByList } from './indexing.js';
import { applySlice, parseTraversalPath, type TraversalSlice, walkTraversal } from './traversal.js';

/** First byte of a non-empty `DocumentArrayProto`: field 1 (`docs`), length-delimited. */
const ARRAY_FIELD_TAG = 0x0a;

/** @internal How a nested DocumentArray relates to its owner. */
export interface NestedOptions {
  parent: Document;
  relation: 'chunks' | 'matches';
}

/** A key of {@link DocumentArray.select}. */
export type SelectKey =
  | number
  | string
  | TraversalSlice
  | readonly boolean[]
  | readonly string[]
  | readonly number[];

/**
 * An ordered list of {@link Document}s: the unit of all IO in Weft. Arrays returned by `slice`,
 * `select`, `filter` and traversal hold the same Document objects (changing a document there changes
 * it here); only appending to a document's own `chunks`/`matches` sets relation fields.
 *
 * @example
 * ```ts
 * const da = DocumentArray.empty(2);
 * da.texts = ['a', 'b'];
 * for (const d of da) console.log(d.id, d.text);
 * da.select('@r[-1]').texts; // ['b']
 * ```
 */
export class DocumentArray implements Iterable<Document> {
  #items: Document[] = [];
  /** Encoded documents not decoded yet (`fromBytes` with `lazy`): decoded on first use. */
  #pending: { bytes: Uint8Array; options: FromBytesOptions } | undefined;
  readonly #nested: NestedOptions | undefined;
  #ids: Map<string, number> | undefined;

  /** Documents or plain inits; nested arrays (`doc.chunks`) are made by Document itself. */
  constructor(docs: Iterable<Document | DocumentInit> = [], nested?: NestedOptions) {
    this.#nested = nested;
    this.push(...docs);
  }

  /** The documents, decoded first if the array was made lazily. */
  get #docs(): Document[] {
    const p = this.#pending;
    if (p !== undefined) {
      this.#items = decodeDocuments(p.bytes, { ...p.options, lazy: false });
      this.#pending = undefined;
    }
    return this.#items;
  }

  set #docs(docs: Document[]) {
    this.#pending = undefined;
    this.#items = docs;
  }

  /** `n` new empty documents. */
  static empty(n: number): DocumentArray {
    const da = new DocumentArray();
    for (let i = 0; i < n; i++) da.#docs.push(new Document());
    return da;
  }

  /** @internal An array over the given documents, as they are. */
  static wrap(docs: Document[]): DocumentArray {
    const da = new DocumentArray();
    da.#docs = docs;
    return da;
  }

  /** Number of documents. */
  get length(): number {
    return this.#docs.length;
  }

  /** Iterates over the documents in order. */
  [Symbol.iterator](): Iterator<Document> {
    return this.#docs[Symbol.iterator]();
  }

  #changed(): void {
    this.#ids = undefined;
  }

  #adopt(item: Document | DocumentInit): Document {
    const d = item instanceof Document ? item : new Document(item);
    const n = this.#nested;
    if (n) {
      d.parentId = n.parent.id;
      if (n.relation === 'chunks') d.granularity = n.parent.granularity + 1;
      else d.adjacency = n.parent.adjacency + 1;
    }
    return d;
  }

  // ---- positions and ids ----

  /** The document at a position (negative counts from the end). */
  at(index: number): Document | undefined {
    return this.#docs.at(index);
  }

  /** The document with this id (the first, if several share it), or undefined. */
  get(id: string): Document | undefined {
    const i = this.#indexOfId(id);
    return i < 0 ? undefined : this.#docs[i];
  }

  /** Whether a document with this id is here. */
  has(id: string): boolean {
    return this.#indexOfId(id) >= 0;
  }

  #indexOfId(id: string): number {
    const cached = this.#ids?.get(id);
    if (cached !== undefined && this.#docs[cached]?.id === id) return cached;
    // A miss or a stale hit (ids are mutable): rebuild the index.
    const ids = new Map<string, number>();
    this.#docs.forEach((d, i) => {
      if (!ids.has(d.id)) ids.set(d.id, i);
    });
    this.#ids = ids;
    return ids.get(id) ?? -1;
  }

  /** Position of a document (by object or id), or -1. */
  indexOf(doc: Document | string): number {
    return typeof doc === 'string' ? this.#indexOfId(doc) : this.#docs.indexOf(doc);
  }

  /**
   * Python-style indexing, as DocArray's `da[key]`:
   * a position (negative from the end) or an id → that Document;
   * a traversal path (`'@c'`, `'@r[-1]m[:3]'`, `'@r,c'`), a slice `{ start, stop, step }`, a boolean
   * mask, a list of ids or a list of positions → a DocumentArray.
   * @throws {@link DocArrayError} for a mask of the wrong length or an unknown id in a list.
   */
  select(key: number): Document | undefined;
  select(key: `@${string}`): DocumentArray;
  select(key: string): Document | DocumentArray | undefined;
  select(key: TraversalSlice | readonly boolean[] | readonly string[] | readonly number[]): DocumentArray;
  select(key: SelectKey): Document | DocumentArray | undefined {
    if (typeof key === 'number') return this.at(key);
    if (typeof key === 'string') return key.startsWith('@') ? this.traverseFlat(key) : this.get(key);
    if (Array.isArray(key)) return DocumentArray.wrap(selectByList(this.#docs, key, (id) => this.get(id)));
    return DocumentArray.wrap(applySlice(this.#docs, key as TraversalSlice));
  }

  /** Documents from `start` to `end` (exclusive) every `step`, Python-style. */
  slice(start?: number, end?: number, step?: number): DocumentArray {
    const s: { start?: number; stop?: number; step?: number } = {};
    if (start !== undefined) s.start = start;
    if (end !== undefined) s.stop = end;
    if (step !== undefined) s.step = step;
    return DocumentArray.wrap(applySlice(this.#docs, s));
  }

  // ---- list operations ----

  /** Appends documents (or plain inits); nested arrays set parentId, granularity or adjacency. */
  push(...docs: (Document | DocumentInit)[]): number {
    for (const item of docs) this.#docs.push(this.#adopt(item));
    this.#changed();
    return this.#docs.length;
  }

  /** Appends every document of an iterable. */
  extend(docs: Iterable<Document | DocumentInit>): this {
    this.push(...docs);
    return this;
  }

  /** @internal Appends documents as they are, without touching their relation fields. */
  pushRaw(docs: Document[]): void {
    for (const d of docs) this.#docs.push(d);
    this.#changed();
  }

  /** Inserts documents before a position (negative counts from the end). */
  insert(index: number, ...docs: (Document | DocumentInit)[]): this {
    const i = index < 0 ? Math.max(0, this.length + index) : Math.min(index, this.length);
    this.#docs.splice(i, 0, ...docs.map((d) => this.#adopt(d)));
    this.#changed();
    return this;
  }

  /** Replaces the document at a position or with an id. */
  set(key: number | string, doc: Document | DocumentInit): this {
    const i = typeof key === 'number' ? (key < 0 ? this.length + key : key) : this.#indexOfId(key);
    if (i < 0 || i >= this.length)
      throw new DocArrayError('invalid_argument', `no document at ${JSON.stringify(key)}`);
    this.#docs[i] = this.#adopt(doc);
    this.#changed();
    return this;
  }

  /** Removes documents by position, id, or list of either; returns the removed documents. */
  remove(key: number | string | readonly (number | string)[]): Document[] {
    const keys = Array.isArray(key) ? key : [key];
    const drop = new Set<number>();
    for (const k of keys) {
      const i = typeof k === 'number' ? (k < 0 ? this.length + k : k) : this.#indexOfId(k);
      if (i >= 0 && i < this.length) drop.add(i);
    }
    const removed = this.#docs.filter((_, i) => drop.has(i));
    this.#docs = this.#docs.filter((_, i) => !drop.has(i));
    this.#changed();
    return removed;
  }

  /** Removes and returns the last document. */
  pop(): Document | undefined {
    this.#changed();
    return this.#docs.pop();
  }

  /** Removes every document. */
  clear(): this {
    this.#docs = [];
    this.#changed();
    return this;
  }

  /** Reverses the order in place. */
  reverse(): this {
    this.#docs.reverse();
    this.#changed();
    return this;
  }

  /** Sorts in place. */
  sort(compare: (a: Document, b: Document) => number): this {
    this.#docs.sort(compare);
    this.#changed();
    return this;
  }

  /** A new array with these documents followed by the others'. */
  concat(...others: Iterable<Document>[]): DocumentArray {
    return DocumentArray.wrap([...this.#docs, ...others.flatMap((o) => [...o])]);
  }

  /** Calls `fn` on each document and returns the results. */
  map<T>(fn: (d: Document, i: number) => T): T[] {
    return this.#docs.map(fn);
  }

  /** Calls `fn` on each document. */
  forEach(fn: (d: Document, i: number) => void): void {
    this.#docs.forEach(fn);
  }

  /**
   * The documents that match a predicate or a filter query (semantics.md), in order.
   * @throws {@link FilterQueryError} for an invalid query.
   */
  filter(predicate: ((d: Document, i: number) => boolean) | FilterQuery): DocumentArray {
    const p = typeof predicate === 'function' ? predicate : compileFilter(predicate);
    return DocumentArray.wrap(this.#docs.filter((d, i) => p(d, i)));
  }

  /** A plain array copy of the documents. */
  toArray(): Document[] {
    return [...this.#docs];
  }

  // ---- bulk attributes ----

  /** The texts of all documents. */
  get texts(): string[] {
    return this.#docs.map((d) => d.text);
  }
  set texts(values: readonly string[]) {
    setFieldValues(this.#docs, 'text', values);
  }

  /** The ids of all documents. */
  get ids(): string[] {
    return this.#docs.map((d) => d.id);
  }
  set ids(values: readonly string[]) {
    setFieldValues(this.#docs, 'id', values);
    this.#changed();
  }

  /** The tags of all documents. */
  get tags(): JsonObject[] {
    return this.#docs.map((d) => d.tags);
  }
  set tags(values: readonly JsonObject[]) {
    setFieldValues(this.#docs, 'tags', values);
  }

  /** The blobs of all documents. */
  get blobs(): (Uint8Array | undefined)[] {
    return this.#docs.map((d) => d.blob);
  }
  set blobs(values: readonly (Uint8Array | undefined)[]) {
    setFieldValues(this.#docs, 'blob', values);
  }

  /**
   * The embeddings as one row-major `[n, d]` matrix (a zero-copy view when they are rows of one
   * buffer), or undefined when no document has one. Setting takes a matrix (each document gets a
   * zero-copy row view), a list of tensors, or undefined.
   */
  get embeddings(): Tensor | undefined {
    return stackField(this.#docs, 'embedding');
  }
  set embeddings(value: Tensor | readonly (Tensor | undefined)[] | undefined) {
    setTensorField(this.#docs, 'embedding', value);
  }

  /** The tensors stacked as `[n, ...shape]`; setting works as for {@link DocumentArray.embeddings}. */
  get tensors(): Tensor | undefined {
    return stackField(this.#docs, 'tensor');
  }
  set tensors(value: Tensor | readonly (Tensor | undefined)[] | undefined) {
    setTensorField(this.#docs, 'tensor', value);
  }

  /** The values of any field, one per document. */
  getAttributes(field: DocumentField): unknown[] {
    return getFieldValues(this.#docs, field);
  }

  /** Sets any field from one value per document. */
  setAttributes(field: DocumentField, values: readonly unknown[]): this {
    setFieldValues(this.#docs, field, values);
    if (field === 'id') this.#changed();
    return this;
  }

  // ---- traversal ----

  /**
   * The DocumentArrays a traversal path selects, one per parent (parents without chunks/matches
   * are skipped). An unsliced step yields the parent's own `chunks`/`matches` array.
   * @throws {@link TraversalPathError} for a path that does not parse.
   */
  *traverse(path: string): Generator<DocumentArray> {
    const out: DocumentArray[] = [];
    walkTraversal(this.#docs, parseTraversalPath(path), (docs, owner) => {
      if (!owner) out.push(docs === this.#docs ? this : DocumentArray.wrap(docs));
      else out.push(owner.relation === 'c' ? owner.parent.chunks : owner.parent.matches);
    });
    yield* out;
  }

  /** Every document a traversal path selects, in one flat array (`'@r,c'` → roots then chunks). */
  traverseFlat(path: string): DocumentArray {
    const all: Document[] = [];
    walkTraversal(this.#docs, parseTraversalPath(path), (docs) => {
      for (const d of docs) all.push(d);
    });
    return DocumentArray.wrap(all);
  }

  /**
   * Every document at every depth (each document, then its chunks, then its matches, recursively)
   * as copies without chunks and matches. The original is not changed.
   */
  flatten(): DocumentArray {
    const out: Document[] = [];
    const walk = (d: Document) => {
      const c = d.copy();
      c.chunks = [];
      c.matches = [];
      out.push(c);
      if (d.chunkCount) for (const x of d.chunks) walk(x);
      if (d.matchCount) for (const x of d.matches) walk(x);
    };
    for (const d of this.#docs) walk(d);
    return DocumentArray.wrap(out);
  }

  // ---- search ----

  /**
   * Nearest neighbours of a query among these documents' embeddings. A Document, a 1-d tensor or
   * a number list gives one DocumentArray; a DocumentArray, a 2-d tensor or a list of number lists
   * gives one per query row. A filter query object filters instead. Matches are copies of these
   * documents with `scores[metric].value` set, best first.
   * @throws {@link FindError} for an unknown metric, missing embeddings or mismatched dimensions.
   */
  find(query: Document | number[] | Float32Array, options?: FindOptions): DocumentArray;
  find(query: DocumentArray | number[][], options?: FindOptions): DocumentArray[];
  find(query: Tensor, options?: FindOptions): DocumentArray | DocumentArray[];
  find(query: FilterQuery): DocumentArray;
  find(query: FindQuery | FilterQuery, options?: FindOptions): DocumentArray | DocumentArray[] {
    return findIn(this.#docs, query, options);
  }

  /**
   * For each document here (the queries), sets `matches` to its nearest neighbours in `index`
   * (copies with `scores[metric]` set; parentId and adjacency set by `matches`). Returns this.
   */
  match(index: DocumentArray, options?: FindOptions): this {
    matchInto(this.#docs, index.toArray(), options);
    return this;
  }

  // ---- reduce ----

  /** Reduces another part into this one (semantics.md, Reduce). Returns this. */
  reduce(other: DocumentArray): this {
    reduceArray(this, other);
    return this;
  }

  /** Reduces every part into this one, in order. Returns this. */
  reduceAll(others: Iterable<DocumentArray>): this {
    for (const o of others) reduceArray(this, o);
    return this;
  }

  // ---- batching and concurrency ----

  /** Consecutive arrays of at most `size` documents (optionally of a shuffled order). */
  *batch(size: number, options: { shuffle?: boolean } & RandomOptions = {}): Generator<DocumentArray> {
    positiveInt('batch size', size);
    const docs = options.shuffle ? shuffled(this.#docs, options.seed) : this.#docs;
    for (let i = 0; i < docs.length; i += size) yield DocumentArray.wrap(docs.slice(i, i + size));
  }

  /** Groups documents by the value of a tag (in order of first appearance; missing tag → undefined key). */
  splitByTag(tag: string): Map<JsonValue | undefined, DocumentArray> {
    const out = new Map<JsonValue | undefined, DocumentArray>();
    for (const [k, docs] of groupByTag(this.#docs, tag)) out.set(k, DocumentArray.wrap(docs));
    return out;
  }

  /** A new array with the documents in random order. */
  shuffle(options: RandomOptions = {}): DocumentArray {
    return DocumentArray.wrap(shuffled(this.#docs, options.seed));
  }

  /** `k` distinct documents chosen at random. */
  sample(k: number, options: RandomOptions = {}): DocumentArray {
    return DocumentArray.wrap(sampled(this.#docs, k, options.seed));
  }

  /**
   * Runs `fn` (sync or async) on every document with bounded concurrency; a returned Document
   * replaces the original in place. Returns this.
   */
  async apply(fn: (d: Document, i: number) => unknown, options?: ConcurrencyOptions): Promise<this> {
    const results = await mapConcurrent(this.#docs, fn, options);
    results.forEach((r, i) => {
      if (r instanceof Document) this.#docs[i] = r;
    });
    this.#changed();
    return this;
  }

  /** Maps documents with a sync or async function, bounded concurrency, results in input order. */
  mapAsync<T>(fn: (d: Document, i: number) => T | Promise<T>, options?: ConcurrencyOptions): Promise<T[]> {
    return mapConcurrent(this.#docs, fn, options);
  }

  /** Runs `fn` on batches of `batchSize` with bounded concurrency; returns the results per batch. */
  applyBatch<T>(
    fn: (batch: DocumentArray, i: number) => T | Promise<T>,
    options: ConcurrencyOptions & { batchSize: number },
  ): Promise<T[]> {
    return mapConcurrent([...this.batch(options.batchSize)], fn, options);
  }

  /** A readable table: length, documents per field, tensor shapes. */
  summary(): string {
    return arraySummary(this);
  }

  // ---- forms ----

  /** The wire message. */
  toProto(): DocumentArrayProto {
    return create(DocumentArrayProtoSchema, { docs: this.#docs.map((d) => d.toProto()) });
  }

  /** Reads a wire message. */
  static fromProto(p: DocumentArrayProto): DocumentArray {
    return DocumentArray.wrap(p.docs.map((d) => Document.fromProto(d)));
  }

  /**
   * Serialized bytes: a `DocumentArrayProto` by default, or the streaming form; optionally
   * compressed. The bytes equal `toBinary(DocumentArrayProtoSchema, da.toProto())`.
   */
  toBytes(options?: ToBytesOptions): Uint8Array {
    const p = this.#pending;
    if (
      p !== undefined &&
      options?.compress === undefined &&
      (options?.protocol ?? 'protobuf-array') === 'protobuf-array' &&
      p.options.compress === undefined &&
      p.options.protocol !== 'protobuf' &&
      (p.bytes.length === 0 || p.bytes[0] === ARRAY_FIELD_TAG)
    ) {
      // Never read: the bytes it was made from are already this encoding.
      return p.bytes;
    }
    return encodeDocuments(this.#docs, options);
  }

  /**
   * Reads serialized bytes of either form (detected), decompressing gzip/deflate (detected) or
   * brotli (named). Tensors are zero-copy views of `bytes` where aligned unless `copy` is set.
   * @throws {@link FormatError} for bytes that are not a serialized DocumentArray.
   */
  static fromBytes(bytes: Uint8Array, options?: FromBytesOptions): DocumentArray {
    if (options?.lazy) {
      const da = new DocumentArray();
      da.#pending = { bytes, options };
      return da;
    }
    return DocumentArray.wrap(decodeDocuments(bytes, options));
  }

  /** The serialized bytes as base64. */
  toBase64(options?: ToBytesOptions): string {
    return bytesToBase64(this.toBytes(options));
  }

  /** Reads {@link DocumentArray.toBase64} output. */
  static fromBase64(text: string, options?: FromBytesOptions): DocumentArray {
    return DocumentArray.fromBytes(base64ToBytes(text), options);
  }

  /** The JSON form: a list of documents (snake_case keys, empty fields left out). */
  toJSON(options?: ToJsonOptions | string): DocumentJson[] {
    const opts = typeof options === 'object' ? options : undefined;
    return this.#docs.map((d) => d.toJSON(opts));
  }

  /**
   * Reads the JSON form: a list of documents, or `{ docs: [...] }`/`{ data: [...] }`, as a string
   * or parsed.
   */
  static fromJSON(json: string | unknown): DocumentArray {
    return DocumentArray.wrap(documentsFromJson(json));
  }
}
