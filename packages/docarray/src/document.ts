import { create, type JsonObject } from '@bufbuild/protobuf';
import { type DocumentProto, DocumentProtoSchema, type NamedScoreProto } from '@weft/proto';
import { DocumentArray } from './document-array.js';
import { newId } from './ids.js';
import { Tensor } from './tensor.js';

/** A named score (`scores['cosine']`, `evaluations['precision']`). */
export interface NamedScore {
  value: number;
  opName?: string;
  description?: string;
  refId?: string;
}

/** The fields a {@link Document} can be built from; every field is optional. */
export interface DocumentInit {
  id?: string;
  text?: string;
  blob?: Uint8Array;
  tensor?: Tensor;
  granularity?: number;
  adjacency?: number;
  parentId?: string;
  weight?: number;
  uri?: string;
  modality?: string;
  mimeType?: string;
  offset?: number;
  location?: number[];
  chunks?: Iterable<Document | DocumentInit>;
  matches?: Iterable<Document | DocumentInit>;
  embedding?: Tensor;
  tags?: JsonObject;
  scores?: Record<string, NamedScore>;
  evaluations?: Record<string, NamedScore>;
  metadata?: JsonObject;
}

type Content =
  | { kind: 'text'; value: string }
  | { kind: 'blob'; value: Uint8Array }
  | { kind: 'tensor'; value: Tensor }
  | undefined;

/**
 * One document: the unit of data in Weft. Content is one of `text`, `blob` or `tensor`.
 *
 * @example
 * ```ts
 * const d = new Document({ text: 'hello', tags: { lang: 'en' } });
 * d.chunks.push(new Document({ text: 'hel' }));   // chunk gets parentId and granularity 1
 * ```
 */
export class Document {
  /** 32 lowercase hex characters unless given. */
  id: string;
  granularity = 0;
  adjacency = 0;
  parentId = '';
  weight = 0;
  uri = '';
  modality = '';
  mimeType = '';
  offset = 0;
  location: number[] = [];
  embedding: Tensor | undefined;
  tags: JsonObject = {};
  scores: Record<string, NamedScore> = {};
  evaluations: Record<string, NamedScore> = {};
  metadata: JsonObject = {};
  #content: Content;
  #chunks: DocumentArray | undefined;
  #matches: DocumentArray | undefined;

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

  /** Sub-documents of this one; appending sets their `parentId` and `granularity`. */
  get chunks(): DocumentArray {
    this.#chunks ??= new DocumentArray([], { parent: this, relation: 'chunks' });
    return this.#chunks;
  }
  set chunks(value: Iterable<Document | DocumentInit>) {
    this.#chunks = new DocumentArray([], { parent: this, relation: 'chunks' });
    this.#chunks.push(...value);
  }

  /** Nearest neighbours of this one; appending sets their `parentId` and `adjacency`. */
  get matches(): DocumentArray {
    this.#matches ??= new DocumentArray([], { parent: this, relation: 'matches' });
    return this.#matches;
  }
  set matches(value: Iterable<Document | DocumentInit>) {
    this.#matches = new DocumentArray([], { parent: this, relation: 'matches' });
    this.#matches.push(...value);
  }

  /** The wire message. */
  toProto(): DocumentProto {
    const p = create(DocumentProtoSchema, {
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
    });
    const c = this.#content;
    if (c?.kind === 'text') p.content = { case: 'text', value: c.value };
    else if (c?.kind === 'blob') p.content = { case: 'blob', value: c.value };
    else if (c?.kind === 'tensor') p.content = { case: 'tensor', value: c.value.toProto() };
    if (this.#chunks?.length) p.chunks = this.#chunks.map((d) => d.toProto());
    if (this.#matches?.length) p.matches = this.#matches.map((d) => d.toProto());
    if (this.embedding) p.embedding = this.embedding.toProto();
    if (Object.keys(this.tags).length) p.tags = this.tags;
    if (Object.keys(this.metadata).length) p.Metadata = this.metadata;
    for (const [k, s] of Object.entries(this.scores)) p.scores[k] = scoreToProto(s);
    for (const [k, s] of Object.entries(this.evaluations)) p.evaluations[k] = scoreToProto(s);
    return p;
  }

  /** Reads a wire message. */
  static fromProto(p: DocumentProto): Document {
    const d = new Document({
      id: p.id,
      granularity: p.granularity,
      adjacency: p.adjacency,
      parentId: p.parentId,
      weight: p.weight,
      uri: p.uri,
      modality: p.modality,
      mimeType: p.mimeType,
      offset: p.offset,
      location: p.location,
    });
    if (p.content.case === 'text') d.text = p.content.value;
    else if (p.content.case === 'blob') d.blob = p.content.value;
    else if (p.content.case === 'tensor') d.tensor = Tensor.fromProto(p.content.value);
    if (p.embedding) d.embedding = Tensor.fromProto(p.embedding);
    if (p.tags) d.tags = p.tags;
    if (p.Metadata) d.metadata = p.Metadata;
    for (const [k, s] of Object.entries(p.scores)) d.scores[k] = scoreFromProto(s);
    for (const [k, s] of Object.entries(p.evaluations)) d.evaluations[k] = scoreFromProto(s);
    // Children keep the parentId/granularity/adjacency they carried on the wire.
    if (p.chunks.length) d.chunks.pushRaw(p.chunks.map((c) => Document.fromProto(c)));
    if (p.matches.length) d.matches.pushRaw(p.matches.map((m) => Document.fromProto(m)));
    return d;
  }
}

function scoreToProto(s: NamedScore): NamedScoreProto {
  return {
    $typeName: 'docarray.NamedScoreProto',
    value: s.value,
    opName: s.opName ?? '',
    description: s.description ?? '',
    refId: s.refId ?? '',
  };
}

function scoreFromProto(s: NamedScoreProto): NamedScore {
  const out: NamedScore = { value: s.value };
  if (s.opName) out.opName = s.opName;
  if (s.description) out.description = s.description;
  if (s.refId) out.refId = s.refId;
  return out;
}
