import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { Document, DocumentArray, type NamedScore, Tensor } from '@weft/docarray';

// The document JSON form of semantics.md ("JSON form"): snake_case keys, blob as base64, tensors
// and embeddings as nested number lists, empty fields omitted, camelCase accepted on input.
// A stand-in kept in this one file until @weft/docarray ships toJSON()/fromJSON(); browser-safe
// (no Buffer).

/** A document in its JSON form does not have the shape of a Document; `path` says where. */
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

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;
B64_INDEX['-'.charCodeAt(0)] = 62;
B64_INDEX['_'.charCodeAt(0)] = 63;

/** Standard base64 (with padding) of bytes. */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += `${B64[n >> 18]}${B64[(n >> 12) & 63]}==`;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += `${B64[n >> 18]}${B64[(n >> 12) & 63]}${B64[(n >> 6) & 63]}=`;
  }
  return out;
}

/** Bytes of base64 text (standard or URL alphabet, padding optional); throws on other characters. */
export function fromBase64(text: string, path = 'blob'): Uint8Array {
  const s = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? B64_INDEX[c]! : -1;
    if (v < 0) throw new JsonFormError(path, `expected base64 text, found '${s[i]}' at ${i}`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, o);
}

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
  else if (d.contentType === 'blob') o.blob = toBase64(d.blob!);
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
export function docsToJson(docs: Iterable<Document>): JsonObject[] {
  return Array.from(docs, documentToJson);
}

const ALIASES: Record<string, string> = {
  parentId: 'parent_id',
  mimeType: 'mime_type',
  opName: 'op_name',
  refId: 'ref_id',
};

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new JsonFormError(path, `expected a string, got ${typeName(v)}`);
  return v;
}

function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new JsonFormError(path, `expected a finite number, got ${typeName(v)}`);
  return v;
}

function tensor(v: unknown, path: string): Tensor {
  if (typeof v === 'number') return Tensor.from(v);
  if (!Array.isArray(v))
    throw new JsonFormError(path, `expected a nested list of numbers, got ${typeName(v)}`);
  try {
    return Tensor.from(v);
  } catch (err) {
    throw new JsonFormError(path, (err as Error).message);
  }
}

function scores(v: unknown, path: string): Record<string, NamedScore> {
  if (!isObject(v)) throw new JsonFormError(path, `expected an object of named scores, got ${typeName(v)}`);
  const out: Record<string, NamedScore> = {};
  for (const [name, s] of Object.entries(v)) {
    if (!isObject(s)) throw new JsonFormError(`${path}.${name}`, 'expected {value, op_name?}');
    const score: NamedScore = { value: s.value === undefined ? 0 : num(s.value, `${path}.${name}.value`) };
    for (const [k0, x] of Object.entries(s)) {
      const k = ALIASES[k0] ?? k0;
      if (k === 'op_name') score.opName = str(x, `${path}.${name}.${k0}`);
      else if (k === 'description') score.description = str(x, `${path}.${name}.${k0}`);
      else if (k === 'ref_id') score.refId = str(x, `${path}.${name}.${k0}`);
    }
    out[name] = score;
  }
  return out;
}

/** Reads a document from its JSON form; throws {@link JsonFormError} naming the bad field. */
export function documentFromJson(v: unknown, path = 'doc'): Document {
  if (!isObject(v)) throw new JsonFormError(path, `expected a document object, got ${typeName(v)}`);
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
      case 'blob':
        d.blob = fromBase64(str(x, p), p);
        break;
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
      case 'matches':
        if (!Array.isArray(x)) throw new JsonFormError(p, `expected a list of documents, got ${typeName(x)}`);
        d[k].pushRaw(x.map((c, i) => documentFromJson(c, `${p}[${i}]`)));
        break;
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
