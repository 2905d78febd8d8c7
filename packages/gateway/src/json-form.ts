import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { Document, DocumentArray, type NamedScore, Tensor } from '@weft/docarray';

// Stand-in for @weft/docarray's JSON form (semantics.md "JSON form"): snake_case keys, blob as
// base64, tensors as nested number lists, camelCase accepted on input. One file, so that it can
// be swapped for DocumentArray.toJSON()/fromJSON() once those land.

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

function scoreToJson(s: NamedScore): JsonObject {
  const o: JsonObject = { value: s.value };
  if (s.opName) o.op_name = s.opName;
  if (s.description) o.description = s.description;
  if (s.refId) o.ref_id = s.refId;
  return o;
}

/** The JSON form of a document (snake_case keys; empty fields omitted). */
export function documentToJson(d: Document): JsonObject {
  const o: JsonObject = { id: d.id };
  if (d.contentType === 'text') o.text = d.text;
  else if (d.contentType === 'blob') o.blob = Buffer.from(d.blob!).toString('base64');
  else if (d.contentType === 'tensor') o.tensor = d.tensor!.toList() as JsonValue;
  if (d.granularity) o.granularity = d.granularity;
  if (d.adjacency) o.adjacency = d.adjacency;
  if (d.parentId) o.parent_id = d.parentId;
  if (d.weight) o.weight = d.weight;
  if (d.uri) o.uri = d.uri;
  if (d.modality) o.modality = d.modality;
  if (d.mimeType) o.mime_type = d.mimeType;
  if (d.offset) o.offset = d.offset;
  if (d.location.length) o.location = [...d.location];
  if (d.embedding) o.embedding = d.embedding.toList() as JsonValue;
  if (Object.keys(d.tags).length) o.tags = d.tags;
  if (Object.keys(d.scores).length)
    o.scores = Object.fromEntries(Object.entries(d.scores).map(([k, s]) => [k, scoreToJson(s)]));
  if (Object.keys(d.evaluations).length)
    o.evaluations = Object.fromEntries(Object.entries(d.evaluations).map(([k, s]) => [k, scoreToJson(s)]));
  if (d.chunks.length) o.chunks = d.chunks.map(documentToJson);
  if (d.matches.length) o.matches = d.matches.map(documentToJson);
  return o;
}

/** The JSON form of a document array: a list of documents. */
export function docsToJson(docs: DocumentArray): JsonObject[] {
  return docs.map(documentToJson);
}

const ALIASES: Record<string, string> = {
  parentId: 'parent_id',
  mimeType: 'mime_type',
  opName: 'op_name',
  refId: 'ref_id',
};

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new JsonFormError(path, `expected a string, got ${typeName(v)}`);
  return v;
}

function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new JsonFormError(path, `expected a finite number, got ${typeName(v)}`);
  return v;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)?.slice(0, 40)}`;
}

function tensor(v: unknown, path: string): Tensor {
  if (typeof v === 'number') return Tensor.from(num(v, path));
  if (!Array.isArray(v))
    throw new JsonFormError(path, `expected a nested list of numbers, got ${typeName(v)}`);
  const check = (x: unknown, p: string, depth: number): void => {
    if (depth > 32) throw new JsonFormError(p, 'nested more than 32 levels deep');
    if (Array.isArray(x)) {
      for (const [i, y] of x.entries()) check(y, `${p}[${i}]`, depth + 1);
    } else num(x, p);
  };
  check(v, path, 0);
  try {
    return Tensor.from(v);
  } catch (err) {
    throw new JsonFormError(path, (err as Error).message);
  }
}

function score(v: unknown, path: string): NamedScore {
  if (!isObject(v)) throw new JsonFormError(path, `expected {value, op_name?}, got ${typeName(v)}`);
  const s: NamedScore = { value: v.value === undefined ? 0 : num(v.value, `${path}.value`) };
  for (const [k0, x] of Object.entries(v)) {
    const k = ALIASES[k0] ?? k0;
    if (k === 'op_name') s.opName = str(x, `${path}.${k0}`);
    else if (k === 'description') s.description = str(x, `${path}.${k0}`);
    else if (k === 'ref_id') s.refId = str(x, `${path}.${k0}`);
  }
  return s;
}

function scores(v: unknown, path: string): Record<string, NamedScore> {
  if (!isObject(v)) throw new JsonFormError(path, `expected an object of named scores, got ${typeName(v)}`);
  return Object.fromEntries(Object.entries(v).map(([k, s]) => [k, score(s, `${path}.${k}`)]));
}

/** Reads a document from its JSON form; throws {@link JsonFormError} naming the bad field. */
export function documentFromJson(v: unknown, path = 'doc', depth = 0): Document {
  if (!isObject(v)) throw new JsonFormError(path, `expected a document object, got ${typeName(v)}`);
  if (depth > 16) throw new JsonFormError(path, 'chunks/matches nested more than 16 levels deep');
  const d = new Document();
  for (const [k0, x] of Object.entries(v)) {
    if (x === null || x === undefined) continue;
    const k = ALIASES[k0] ?? k0;
    const p = `${path}.${k0}`;
    switch (k) {
      case 'id':
        d.id = str(x, p);
        break;
      case 'text':
        d.text = str(x, p);
        break;
      case 'blob': {
        const s = str(x, p);
        if (!/^[A-Za-z0-9+/\-_]*={0,2}$/.test(s)) throw new JsonFormError(p, 'expected base64 text');
        d.blob = new Uint8Array(Buffer.from(s, 'base64'));
        break;
      }
      case 'tensor':
        d.tensor = tensor(x, p);
        break;
      case 'embedding':
        d.embedding = tensor(x, p);
        break;
      case 'granularity':
      case 'adjacency':
      case 'weight':
      case 'offset':
        d[k] = num(x, p);
        break;
      case 'parent_id':
        d.parentId = str(x, p);
        break;
      case 'mime_type':
        d.mimeType = str(x, p);
        break;
      case 'uri':
      case 'modality':
        d[k] = str(x, p);
        break;
      case 'location':
        if (!Array.isArray(x)) throw new JsonFormError(p, `expected a list of numbers, got ${typeName(x)}`);
        d.location = x.map((n, i) => num(n, `${p}[${i}]`));
        break;
      case 'tags':
        if (!isObject(x)) throw new JsonFormError(p, `expected an object, got ${typeName(x)}`);
        d.tags = x as JsonObject;
        break;
      case 'scores':
        d.scores = scores(x, p);
        break;
      case 'evaluations':
        d.evaluations = scores(x, p);
        break;
      case 'chunks':
      case 'matches': {
        if (!Array.isArray(x)) throw new JsonFormError(p, `expected a list of documents, got ${typeName(x)}`);
        d[k].pushRaw(x.map((c, i) => documentFromJson(c, `${p}[${i}]`, depth + 1)));
        break;
      }
      default:
      // Unknown keys are ignored, as DocArray ignores unknown JSON fields.
    }
  }
  return d;
}

/** Reads a list of JSON documents, or `{docs: [...]}`. */
export function docsFromJson(v: unknown, path = 'data'): DocumentArray {
  const list = isObject(v) && Array.isArray(v.docs) ? v.docs : v;
  if (!Array.isArray(list))
    throw new JsonFormError(path, `expected a list of documents or {docs: [...]}, got ${typeName(v)}`);
  const da = new DocumentArray();
  da.pushRaw(list.map((d, i) => documentFromJson(d, `${path}[${i}]`)));
  return da;
}
