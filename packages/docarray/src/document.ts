import type { JsonObject } from '@bufbuild/protobuf';
import { copyBytes } from './base64.js';
import type { DocumentProto } from '@weft/proto';
import { decodeDocument } from './document-decoder.js';
import { encodeDocument } from './document-encoder.js';
import { base64ToBytes, bytesToBase64 } from './base64.js';
import { type Compression, compress, decompress } from './compression.js';
import { DocumentArray } from './document-array.js';
import { type DocumentField, isFieldEmpty, DOCUMENT_FIELDS } from './fields.js';
import { newId } from './ids.js';
import { type DocumentJson, documentFromJson, documentToJson, type ToJsonOptions } from './json-form.js';
import { createScoreMap, type NamedScore, type NamedScoreMap } from './named-score.js';
import { documentFromProto, documentToProto } from './proto-form.js';
import { documentSummary } from './summary.js';
import type { Tensor } from './tensor.js';
import { loadUri, type LoadUriOptions, toDataUri } from './uri-loader.js';

export type { NamedScore } from './named-score.js';

/** The fields a {@link Document} can be built from; every field is optional. */
export interface DocumentInit {
  /** Id; a new random 32-hex id when left out. */
  id?: string;
  /** Text content (content is one of text, blob, tensor; the first given of tensor, blob, text wins). */
  text?: string;
  /** Binary content. */
  blob?: Uint8Array;
  /** Tensor content. */
  tensor?: Tensor;
  /** Depth below the root (set by appending to `chunks`). */
  granularity?: number;
  /** Depth of matching (set by appending to `matches`). */
  adjacency?: number;
  /** Id of the parent document. */
  parentId?: string;
  /** Weight (float32 on the wire). */
  weight?: number;
  /** Where the content comes from. */
  uri?: string;
  /** Modality of the content. */
  modality?: string;
  /** MIME type of the content. */
  mimeType?: string;
  /** Offset within the parent (float32 on the wire). */
  offset?: number;
  /** Position within the parent (float32s on the wire). */
  location?: number[];
  /** Sub-documents; they get parentId and granularity. */
  chunks?: Iterable<Document | DocumentInit>;
  /** Nearest neighbours; they get parentId and adjacency. */
  matches?: Iterable<Document | DocumentInit>;
  /** Embedding vector. */
  embedding?: Tensor;
  /** Free-form JSON metadata. */
  tags?: JsonObject;
  /** Scores by name. */
  scores?: Record<string, NamedScore>;
  /** Evaluations by name. */
  evaluations?: Record<string, NamedScore>;
  /** Internal metadata (`_metadata` on the wire). */
  metadata?: JsonObject;
}

/** Options of {@link Document.toBytes} and {@link Document.fromBytes}. */
export interface DocumentBytesOptions {
  /** Compress (or, reading, decompress) the serialized `DocumentProto`. @default none */
  compress?: Compression;
}

type Content =
  | { kind: 'text'; value: string }
  | { kind: 'blob'; value: Uint8Array }
  | { kind: 'tensor'; value: Tensor }
  | undefined;

/**
 * One document: the unit of data in Weft. Content is one of `text`, `blob` or `tensor`; setting one
 * clears the others. Chunks and matches are {@link DocumentArray}s that set `parentId`,
 * `granularity` (chunks) and `adjacency` (matches) on append.
 *
 * @example
 * ```ts
 * const d = new Document({ text: 'hello', tags: { lang: 'en' } });
 * d.chunks.push(new Document({ text: 'hel' }));   // chunk gets parentId and granularity 1
 * d.scores.cosine.value;                          // 0: a missing score reads as empty
 * ```
 */
export class Document {
  /** 32 lowercase hex characters unless given. */
  id: string;
  /** Depth below the root document (chunks are parent + 1). */
  granularity = 0;
  /** Depth of matching (matches are parent + 1). */
  adjacency = 0;
  /** Id of the document this one is a chunk or match of; `''` for roots. */
  parentId = '';
  /** Weight of this document (float32 on the wire). */
  weight = 0;
  /** Where the content came from: a file path, URL or data URI. */
  uri = '';
  /** Modality of the content, free text (`'image'`, `'text'`). */
  modality = '';
  /** MIME type of the content. */
  mimeType = '';
  /** Offset of this document within its parent (float32 on the wire). */
  offset = 0;
  /** Position of this document within its parent (float32s on the wire). */
  location: number[] = [];
  /** The embedding vector, if any. */
  embedding: Tensor | undefined;
  /** Free-form JSON metadata (`google.protobuf.Struct` on the wire: numbers travel as doubles). */
  tags: JsonObject = {};
  /** Internal metadata (`_metadata` on the wire). */
  metadata: JsonObject = {};
  #content: Content;
  #chunks: DocumentArray | undefined;
  #matches: DocumentArray | undefined;
  #scores: NamedScoreMap | undefined;
  #evaluations: NamedScoreMap | undefined;

  constructor(init: DocumentInit = {}) {
    this.id = init.id ?? newId();
    if (init.tensor !== undefined) this.tensor = init.tensor;
    else if (init.blob !== undefined) this.blob = init.blob;
    else if (init.text !== undefined) this.text = init.text;
    if (init.granularity !== undefined) this.granularity = init.granularity;
    if (init.adjacency !== undefined) this.adjacency = init.adjacency;
    if (init.parentId !== undefined) this.parentId = init.parentId;
    if (init.weight !== undefined) this.weight = init.weight;
    if (init.uri !== undefined) this.uri = init.uri;
    if (init.modality !== undefined) this.modality = init.modality;
    if (init.mimeType !== undefined) this.mimeType = init.mimeType;
    if (init.offset !== undefined) this.offset = init.offset;
    if (init.location !== undefined) this.location = [...init.location];
    if (init.embedding !== undefined) this.embedding = init.embedding;
    if (init.tags !== undefined) this.tags = init.tags;
    if (init.scores !== undefined) this.scores = init.scores;
    if (init.evaluations !== undefined) this.evaluations = init.evaluations;
    if (init.metadata !== undefined) this.metadata = init.metadata;
    if (init.chunks !== undefined) this.chunks.push(...init.chunks);
    if (init.matches !== undefined) this.matches.push(...init.matches);
  }

  /** Text content; `''` when the content is not text. Setting it clears blob and tensor. */
  get text(): string {
    return this.#content?.kind === 'text' ? this.#content.value : '';
  }
  set text(value: string) {
    this.#content = { kind: 'text', value };
  }

  /** Binary content, or undefined. Setting it clears text and tensor. */
  get blob(): Uint8Array | undefined {
    return this.#content?.kind === 'blob' ? this.#content.value : undefined;
  }
  set blob(value: Uint8Array | undefined) {
    this.#content = value === undefined ? undefined : { kind: 'blob', value };
  }

  /** Tensor content, or undefined. Setting it clears text and blob. */
  get tensor(): Tensor | undefined {
    return this.#content?.kind === 'tensor' ? this.#content.value : undefined;
  }
  set tensor(value: Tensor | undefined) {
    this.#content = value === undefined ? undefined : { kind: 'tensor', value };
  }

  /** Which content field is set, if any. */
  get contentType(): 'text' | 'blob' | 'tensor' | undefined {
    return this.#content?.kind;
  }

  /** The content, whichever field holds it, or undefined. */
  get content(): string | Uint8Array | Tensor | undefined {
    return this.#content?.value;
  }

  /** Removes the content (text, blob and tensor all read as empty afterwards). */
  clearContent(): this {
    this.#content = undefined;
    return this;
  }

  /** Scores by name (`scores.cosine.value`); a missing name reads as an empty score, never throws. */
  get scores(): NamedScoreMap {
    this.#scores ??= createScoreMap();
    return this.#scores;
  }
  set scores(value: Record<string, NamedScore>) {
    this.#scores = createScoreMap(value);
  }

  /** Evaluations by name; a missing name reads as an empty score, never throws. */
  get evaluations(): NamedScoreMap {
    this.#evaluations ??= createScoreMap();
    return this.#evaluations;
  }
  set evaluations(value: Record<string, NamedScore>) {
    this.#evaluations = createScoreMap(value);
  }

  /** @internal True when any score is stored (does not allocate the map). */
  get hasScores(): boolean {
    return this.#scores !== undefined && Object.keys(this.#scores).length > 0;
  }

  /** @internal True when any evaluation is stored (does not allocate the map). */
  get hasEvaluations(): boolean {
    return this.#evaluations !== undefined && Object.keys(this.#evaluations).length > 0;
  }

  /** Sub-documents of this one; appending sets their `parentId` and `granularity`. */
  get chunks(): DocumentArray {
    this.#chunks ??= new DocumentArray([], { parent: this, relation: 'chunks' });
    return this.#chunks;
  }
  set chunks(value: Iterable<Document | DocumentInit>) {
    const da = new DocumentArray([], { parent: this, relation: 'chunks' });
    da.push(...value);
    this.#chunks = da;
  }

  /** Nearest neighbours of this one; appending sets their `parentId` and `adjacency`. */
  get matches(): DocumentArray {
    this.#matches ??= new DocumentArray([], { parent: this, relation: 'matches' });
    return this.#matches;
  }
  set matches(value: Iterable<Document | DocumentInit>) {
    const da = new DocumentArray([], { parent: this, relation: 'matches' });
    da.push(...value);
    this.#matches = da;
  }

  /** @internal Number of chunks, without allocating the array. */
  get chunkCount(): number {
    return this.#chunks?.length ?? 0;
  }

  /** @internal Number of matches, without allocating the array. */
  get matchCount(): number {
    return this.#matches?.length ?? 0;
  }

  /**
   * Whether a field is empty as DocArray defines it: `''`, `0`, an empty list or object, or no
   * value at all. Without a field: whether every field but `id` is empty.
   */
  isEmpty(field?: DocumentField): boolean {
    if (field !== undefined) return isFieldEmpty(this, field);
    return this.nonEmptyFields.every((f) => f === 'id');
  }

  /** The names of the fields that are not empty, in wire order. */
  get nonEmptyFields(): DocumentField[] {
    return DOCUMENT_FIELDS.filter((f) => !isFieldEmpty(this, f));
  }

  /**
   * A copy of this document. Shallow by default: the copy has its own field values, tags, scores
   * and chunk/match lists, but shares the Tensor, blob and child Document objects. `deep` copies
   * those too.
   */
  copy(options: { deep?: boolean } = {}): Document {
    const deep = options.deep ?? false;
    const d = new Document({
      id: this.id,
      granularity: this.granularity,
      adjacency: this.adjacency,
      parentId: this.parentId,
      weight: this.weight,
      uri: this.uri,
      modality: this.modality,
      mimeType: this.mimeType,
      offset: this.offset,
      location: this.location,
      tags: structuredClone(this.tags),
      metadata: structuredClone(this.metadata),
    });
    const c = this.#content;
    if (c?.kind === 'text') d.text = c.value;
    else if (c?.kind === 'blob') d.blob = deep ? copyBytes(c.value) : c.value;
    else if (c?.kind === 'tensor') d.tensor = deep ? c.value.clone() : c.value;
    if (this.embedding) d.embedding = deep ? this.embedding.clone() : this.embedding;
    if (this.hasScores) d.scores = this.scores;
    if (this.hasEvaluations) d.evaluations = this.evaluations;
    if (this.#chunks?.length) d.chunks.pushRaw(this.#chunks.map((x) => (deep ? x.copy(options) : x)));
    if (this.#matches?.length) d.matches.pushRaw(this.#matches.map((x) => (deep ? x.copy(options) : x)));
    return d;
  }

  /** A readable tree of the non-empty fields, chunks and matches. */
  summary(): string {
    return documentSummary(this);
  }

  /** The wire message (`docarray.DocumentProto`). */
  toProto(): DocumentProto {
    return documentToProto(this);
  }

  /** Reads a wire message. Children keep the relation fields they carried on the wire. */
  static fromProto(p: DocumentProto): Document {
    return documentFromProto(p);
  }

  /** Serialized `DocumentProto` bytes, optionally compressed. */
  toBytes(options: DocumentBytesOptions = {}): Uint8Array {
    const bytes = encodeDocument(this);
    return options.compress ? compress(bytes, options.compress) : bytes;
  }

  /**
   * Reads serialized `DocumentProto` bytes (gzip and deflate are detected without `compress`).
   * @throws {@link FormatError} for bytes that are not a DocumentProto.
   */
  static fromBytes(bytes: Uint8Array, options: DocumentBytesOptions = {}): Document {
    return decodeDocument(decompress(bytes, options.compress));
  }

  /** The serialized bytes as base64. */
  toBase64(options: DocumentBytesOptions = {}): string {
    return bytesToBase64(this.toBytes(options));
  }

  /** Reads {@link Document.toBase64} output. */
  static fromBase64(text: string, options: DocumentBytesOptions = {}): Document {
    return Document.fromBytes(base64ToBytes(text), options);
  }

  /** The JSON form (snake_case keys, blob as base64, tensors as nested lists, empty fields left out). */
  toJSON(options?: ToJsonOptions | string): DocumentJson {
    return documentToJson(this, options);
  }

  /** Reads the JSON form (a string or a parsed object); camelCase keys are accepted too. */
  static fromJSON(json: string | Record<string, unknown>): Document {
    return documentFromJson(typeof json === 'string' ? JSON.parse(json) : json);
  }

  /** Loads `uri` (a file path, `file:`, `data:` or `http(s):` URI) into `text`. */
  async loadUriToText(options: LoadUriOptions = {}): Promise<this> {
    const { bytes, mimeType } = await loadUri(this.uri, options);
    this.text = new TextDecoder(options.charset ?? 'utf-8').decode(bytes);
    if (!this.mimeType && mimeType) this.mimeType = mimeType;
    return this;
  }

  /** Loads `uri` (a file path, `file:`, `data:` or `http(s):` URI) into `blob`. */
  async loadUriToBlob(options: LoadUriOptions = {}): Promise<this> {
    const { bytes, mimeType } = await loadUri(this.uri, options);
    this.blob = bytes;
    if (!this.mimeType && mimeType) this.mimeType = mimeType;
    return this;
  }

  /** Sets `uri` to a `data:` URI holding the text or blob content. */
  convertContentToDataUri(): this {
    const c = this.#content;
    if (c?.kind === 'text')
      this.uri = toDataUri(new TextEncoder().encode(c.value), this.mimeType || 'text/plain', 'utf-8');
    else if (c?.kind === 'blob') this.uri = toDataUri(c.value, this.mimeType || 'application/octet-stream');
    return this;
  }
}
