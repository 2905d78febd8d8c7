import type { JsonObject } from '@bufbuild/protobuf';
import { base64ToBytes, bytesToBase64 } from './base64.js';
import { Document } from './document.js';
import { FormatError } from './errors.js';
import type { NamedScore } from './named-score.js';
import { Tensor } from './tensor.js';

/** A score in the JSON form. */
export interface NamedScoreJson {
  /** The score; left out when 0. */
  value?: number;
  /** Name of the operation that made it. */
  op_name?: string;
  /** Free text. */
  description?: string;
  /** Id of the document it refers to. */
  ref_id?: string;
}

/** A tensor in the JSON form: nested number lists, or the protobuf JSON object (keeps the dtype). */
export type TensorJson =
  | unknown[]
  | number
  | { dense: { buffer: string; shape: number[]; dtype: string }; cls_name: string };

/**
 * A document in the JSON form (HTTP, WebSocket, files): snake_case keys, `blob` as base64, tensors
 * as nested number lists, empty fields left out.
 */
export interface DocumentJson {
  /** `Document.id`. */
  id: string;
  /** `Document.text`. */
  text?: string;
  /** `Document.blob` (base64). */
  blob?: string;
  /** `Document.tensor` (nested lists or protobuf JSON). */
  tensor?: TensorJson;
  /** `Document.granularity`. */
  granularity?: number;
  /** `Document.adjacency`. */
  adjacency?: number;
  /** `Document.parentId`. */
  parent_id?: string;
  /** `Document.weight`. */
  weight?: number;
  /** `Document.uri`. */
  uri?: string;
  /** `Document.modality`. */
  modality?: string;
  /** `Document.mimeType`. */
  mime_type?: string;
  /** `Document.offset`. */
  offset?: number;
  /** `Document.location`. */
  location?: number[];
  /** `Document.chunks`. */
  chunks?: DocumentJson[];
  /** `Document.matches`. */
  matches?: DocumentJson[];
  /** `Document.embedding` (nested lists or protobuf JSON). */
  embedding?: TensorJson;
  /** `Document.tags`. */
  tags?: JsonObject;
  /** `Document.scores`. */
  scores?: Record<string, NamedScoreJson>;
  /** `Document.evaluations`. */
  evaluations?: Record<string, NamedScoreJson>;
  /** `Document.metadata`. */
  _metadata?: JsonObject;
}

/** Options of the JSON writers. */
export interface ToJsonOptions {
  /**
   * How tensors and embeddings are written: `'list'` as nested number lists (read back as float32
   * unless `fromJSON` is told otherwise), `'proto'` as the protobuf JSON object
   * `{ dense: { buffer: <base64>, shape, dtype }, cls_name }`, which keeps any dtype exactly.
   * @default 'list'
   */
  tensorFormat?: 'list' | 'proto';
}

function tensorToJson(t: Tensor, options: ToJsonOptions): TensorJson {
  if (options.tensorFormat === 'proto') {
    return {
      dense: { buffer: bytesToBase64(t.toBuffer()), shape: [...t.shape], dtype: t.dtype },
      cls_name: 'numpy',
    };
  }
  return t.toList() as TensorJson;
}

function scoresToJson(m: Record<string, NamedScore>): Record<string, NamedScoreJson> {
  const out: Record<string, NamedScoreJson> = {};
  for (const [k, s] of Object.entries(m)) {
    const j: NamedScoreJson = {};
    if (s.value !== 0) j.value = s.value;
    if (s.opName) j.op_name = s.opName;
    if (s.description) j.description = s.description;
    if (s.refId) j.ref_id = s.refId;
    out[k] = j;
  }
  return out;
}

/** @internal The JSON form of a document. */
export function documentToJson(d: Document, opts?: ToJsonOptions | string): DocumentJson {
  // JSON.stringify calls toJSON(key) with a string: treat anything but an object as no options.
  const options: ToJsonOptions = typeof opts === 'object' && opts !== null ? opts : {};
  const j: DocumentJson = { id: d.id };
  const ct = d.contentType;
  if (ct === 'text' && d.text) j.text = d.text;
  else if (ct === 'blob' && d.blob!.length) j.blob = bytesToBase64(d.blob!);
  else if (ct === 'tensor') j.tensor = tensorToJson(d.tensor!, options);
  if (d.granularity) j.granularity = d.granularity;
  if (d.adjacency) j.adjacency = d.adjacency;
  if (d.parentId) j.parent_id = d.parentId;
  if (d.weight) j.weight = d.weight;
  if (d.uri) j.uri = d.uri;
  if (d.modality) j.modality = d.modality;
  if (d.mimeType) j.mime_type = d.mimeType;
  if (d.offset) j.offset = d.offset;
  if (d.location.length) j.location = [...d.location];
  if (d.chunkCount) j.chunks = d.chunks.map((c) => documentToJson(c, options));
  if (d.matchCount) j.matches = d.matches.map((m) => documentToJson(m, options));
  if (d.embedding) j.embedding = tensorToJson(d.embedding, options);
  if (Object.keys(d.tags).length) j.tags = d.tags;
  if (d.hasScores) j.scores = scoresToJson(d.scores);
  if (d.hasEvaluations) j.evaluations = scoresToJson(d.evaluations);
  if (Object.keys(d.metadata).length) j._metadata = d.metadata;
  return j;
}

type Obj = Record<string, unknown>;

function pick(o: Obj, ...keys: string[]): unknown {
  for (const k of keys) if (o[k] !== undefined && o[k] !== null) return o[k];
  return undefined;
}

function expect<T>(v: unknown, key: string, type: string, ok: (v: unknown) => boolean): T {
  if (!ok(v)) {
    throw new FormatError(
      `JSON document field '${key}' must be ${type}, got ${JSON.stringify(v)?.slice(0, 60)}`,
    );
  }
  return v as T;
}

const isStr = (v: unknown) => typeof v === 'string';
const isNum = (v: unknown) => typeof v === 'number';
const isObj = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);

function tensorFromJson(v: unknown, key: string): Tensor | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v) || typeof v === 'number') return Tensor.from(v as unknown[], '<f4');
  if (isObj(v)) {
    const o = v as Obj;
    const dense = pick(o, 'dense') as Obj | undefined;
    if (dense && isObj(dense)) {
      const shape = (pick(dense, 'shape') ?? []) as number[];
      const buffer = base64ToBytes(String(pick(dense, 'buffer') ?? ''));
      return Tensor.fromBuffer(buffer, shape.map(Number), String(pick(dense, 'dtype') ?? '<f4'), {
        copy: true,
      });
    }
    if (Object.keys(o).length === 0) return undefined;
  }
  throw new FormatError(
    `JSON document field '${key}' must be nested number lists or {dense: {buffer, shape, dtype}}`,
  );
}

function scoresFromJson(v: unknown, key: string): Record<string, NamedScore> {
  const o = expect<Obj>(v, key, 'an object of scores', isObj);
  const out: Record<string, NamedScore> = {};
  for (const [name, raw] of Object.entries(o)) {
    if (typeof raw === 'number') {
      out[name] = { value: raw };
      continue;
    }
    const s = expect<Obj>(raw, `${key}.${name}`, 'an object {value, op_name, description, ref_id}', isObj);
    const score: NamedScore = { value: Number(pick(s, 'value') ?? 0) };
    const opName = pick(s, 'op_name', 'opName');
    const description = pick(s, 'description');
    const refId = pick(s, 'ref_id', 'refId');
    if (opName) score.opName = String(opName);
    if (description) score.description = String(description);
    if (refId) score.refId = String(refId);
    out[name] = score;
  }
  return out;
}

/**
 * @internal A document from its JSON form. Keys may be snake_case or camelCase. Children that do
 * not carry `parent_id`, `granularity` (chunks) or `adjacency` (matches) get them from their parent.
 */
export function documentFromJson(json: unknown): Document {
  const o = expect<Obj>(json, 'document', 'an object', isObj);
  const id = pick(o, 'id');
  const d = new Document(id === undefined ? {} : { id: expect<string>(id, 'id', 'a string', isStr) });
  const text = pick(o, 'text');
  const blob = pick(o, 'blob');
  const tensor = tensorFromJson(pick(o, 'tensor'), 'tensor');
  if (text !== undefined) d.text = expect<string>(text, 'text', 'a string', isStr);
  else if (blob !== undefined) d.blob = base64ToBytes(expect<string>(blob, 'blob', 'a base64 string', isStr));
  else if (tensor) d.tensor = tensor;
  const num = (k: string, ...alt: string[]): number | undefined => {
    const v = pick(o, k, ...alt);
    return v === undefined ? undefined : expect<number>(v, k, 'a number', isNum);
  };
  const str = (k: string, ...alt: string[]): string | undefined => {
    const v = pick(o, k, ...alt);
    return v === undefined ? undefined : expect<string>(v, k, 'a string', isStr);
  };
  d.granularity = num('granularity') ?? 0;
  d.adjacency = num('adjacency') ?? 0;
  d.parentId = str('parent_id', 'parentId') ?? '';
  d.weight = num('weight') ?? 0;
  d.uri = str('uri') ?? '';
  d.modality = str('modality') ?? '';
  d.mimeType = str('mime_type', 'mimeType') ?? '';
  d.offset = num('offset') ?? 0;
  const location = pick(o, 'location');
  if (location !== undefined) {
    d.location = expect<number[]>(
      location,
      'location',
      'a list of numbers',
      (v) => Array.isArray(v) && v.every(isNum),
    );
  }
  const embedding = tensorFromJson(pick(o, 'embedding'), 'embedding');
  if (embedding) d.embedding = embedding;
  const tags = pick(o, 'tags');
  if (tags !== undefined) d.tags = expect<JsonObject>(tags, 'tags', 'an object', isObj);
  const metadata = pick(o, '_metadata', 'metadata', 'Metadata');
  if (metadata !== undefined) d.metadata = expect<JsonObject>(metadata, '_metadata', 'an object', isObj);
  const scores = pick(o, 'scores');
  if (scores !== undefined) d.scores = scoresFromJson(scores, 'scores');
  const evaluations = pick(o, 'evaluations');
  if (evaluations !== undefined) d.evaluations = scoresFromJson(evaluations, 'evaluations');
  for (const rel of ['chunks', 'matches'] as const) {
    const list = pick(o, rel);
    if (list === undefined) continue;
    const items = expect<unknown[]>(list, rel, 'a list of documents', Array.isArray);
    const kids = items.map((item) => {
      const c = documentFromJson(item);
      const co = item as Obj;
      if (pick(co, 'parent_id', 'parentId') === undefined) c.parentId = d.id;
      if (rel === 'chunks' && pick(co, 'granularity') === undefined) c.granularity = d.granularity + 1;
      if (rel === 'matches' && pick(co, 'adjacency') === undefined) c.adjacency = d.adjacency + 1;
      return c;
    });
    d[rel].pushRaw(kids);
  }
  return d;
}

/**
 * @internal Documents from the JSON form of a DocumentArray: a list, or `{ docs: [...] }` /
 * `{ data: [...] }`, as a string or parsed.
 */
export function documentsFromJson(json: unknown): Document[] {
  let v = typeof json === 'string' ? JSON.parse(json) : json;
  if (isObj(v)) v = (v as Obj).docs ?? (v as Obj).data;
  if (!Array.isArray(v)) {
    throw new FormatError('a JSON DocumentArray must be a list of documents (or {docs: [...]})');
  }
  return v.map((x) => documentFromJson(x));
}
