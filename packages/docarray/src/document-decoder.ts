import { Document } from './document.js';
import { copyBytes } from './base64.js';
import { FormatError } from './errors.js';
import type { NamedScore } from './named-score.js';
import { readStruct } from './struct-codec.js';
import { type FromBufferOptions, Tensor } from './tensor.js';
import { Reader } from './wire.js';

// A direct decoder of docarray.DocumentProto: no intermediate messages; tensors are zero-copy
// views of the input where aligned, and deferred copies where not.

/** Options of the decoders. */
export interface DecodeOptions {
  /** Copy tensor and blob bytes instead of viewing the input. @default false */
  copy?: boolean;
}

function readDense(r: Reader, options: DecodeOptions): Tensor | undefined {
  let buffer: Uint8Array = new Uint8Array(0);
  const shape: number[] = [];
  let dtype = '';
  let seen = false;
  while (r.pos < r.end) {
    const tag = r.varint();
    seen = true;
    if (tag === 0x0a) buffer = r.bytes();
    else if (tag === 0x12) {
      r.sub((s) => {
        while (s.pos < s.end) shape.push(s.uint32());
      });
    } else if (tag === 0x10) shape.push(r.uint32());
    else if (tag === 0x1a) dtype = r.string();
    else r.skip(tag & 7);
  }
  if (!seen) return undefined;
  return Tensor.fromBuffer(buffer, shape, dtype || '<f4', options as FromBufferOptions);
}

function readSparse(r: Reader): { indices?: Tensor; values?: Tensor; shape: number[] } {
  const out: { indices?: Tensor; values?: Tensor; shape: number[] } = { shape: [] };
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === 0x0a) out.indices = r.sub((s) => readDense(s, { copy: true }));
    else if (tag === 0x12) out.values = r.sub((s) => readDense(s, { copy: true }));
    else if (tag === 0x1a) {
      r.sub((s) => {
        while (s.pos < s.end) out.shape.push(s.uint32());
      });
    } else if (tag === 0x18) out.shape.push(r.uint32());
    else r.skip(tag & 7);
  }
  return out;
}

/** @internal Reads an NdArrayProto body; undefined when it carries no content. */
export function readNdArray(r: Reader, options: DecodeOptions): Tensor | undefined {
  let dense: Tensor | undefined;
  let sparse: ReturnType<typeof readSparse> | undefined;
  let clsName = '';
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === 0x0a) dense = r.sub((s) => readDense(s, options));
    else if (tag === 0x12) sparse = r.sub(readSparse);
    else if (tag === 0x1a) clsName = r.string();
    else r.skip(tag & 7);
  }
  if (dense) return dense;
  if (sparse?.indices && sparse.values) {
    const { create } = sparseHelpers;
    return create(sparse.indices, sparse.values, sparse.shape, clsName);
  }
  return undefined;
}

const sparseHelpers = {
  create(indices: Tensor, values: Tensor, shape: number[], clsName: string): Tensor | undefined {
    // Reuse Tensor.fromProto's COO handling through a minimal proto-shaped object.
    const dense = (t: Tensor) => ({ buffer: t.toBuffer(), shape: [...t.shape], dtype: t.dtype });
    return Tensor.fromProto({
      content: { case: 'sparse', value: { indices: dense(indices), values: dense(values), shape } },
      clsName,
    } as never);
  },
};

function readScore(r: Reader): NamedScore {
  const s: NamedScore = { value: 0 };
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === 0x0d) s.value = r.float();
    else if (tag === 0x12) s.opName = r.string();
    else if (tag === 0x1a) s.description = r.string();
    else if (tag === 0x22) s.refId = r.string();
    else r.skip(tag & 7);
  }
  return s;
}

function readScoreEntry(r: Reader, into: Record<string, NamedScore>): void {
  let key = '';
  let value: NamedScore = { value: 0 };
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === 0x0a) key = r.string();
    else if (tag === 0x12) value = r.sub(readScore);
    else r.skip(tag & 7);
  }
  into[key] = value;
}

/** @internal Reads a DocumentProto body. */
export function readDocument(r: Reader, options: DecodeOptions): Document {
  const d = new Document({ id: '' });
  let chunks: Document[] | undefined;
  let matches: Document[] | undefined;
  let scores: Record<string, NamedScore> | undefined;
  let evaluations: Record<string, NamedScore> | undefined;
  while (r.pos < r.end) {
    const tag = r.varint();
    switch (tag) {
      case 0x0a:
        d.id = r.string();
        break;
      case 0x12:
        d.blob = options.copy ? copyBytes(r.bytes()) : r.bytes();
        break;
      case 0x1a:
        d.tensor = r.sub((s) => readNdArray(s, options));
        break;
      case 0x22:
        d.text = r.string();
        break;
      case 0x28:
        d.granularity = r.uint32();
        break;
      case 0x30:
        d.adjacency = r.uint32();
        break;
      case 0x3a:
        d.parentId = r.string();
        break;
      case 0x45:
        d.weight = r.float();
        break;
      case 0x4a:
        d.uri = r.string();
        break;
      case 0x52:
        d.modality = r.string();
        break;
      case 0x5a:
        d.mimeType = r.string();
        break;
      case 0x65:
        d.offset = r.float();
        break;
      case 0x6a:
        r.sub((s) => {
          while (s.pos < s.end) d.location.push(s.float());
        });
        break;
      case 0x6d:
        d.location.push(r.float());
        break;
      case 0x72:
        chunks ??= [];
        chunks.push(r.sub((s) => readDocument(s, options)));
        break;
      case 0x7a:
        matches ??= [];
        matches.push(r.sub((s) => readDocument(s, options)));
        break;
      case 130:
        d.embedding = r.sub((s) => readNdArray(s, options));
        break;
      case 138:
        d.tags = r.sub(readStruct);
        break;
      case 146: {
        scores ??= {};
        const into = scores;
        r.sub((s) => readScoreEntry(s, into));
        break;
      }
      case 154: {
        evaluations ??= {};
        const into = evaluations;
        r.sub((s) => readScoreEntry(s, into));
        break;
      }
      case 162:
        d.metadata = r.sub(readStruct);
        break;
      default:
        r.skip(tag & 7);
    }
  }
  if (chunks) d.chunks.pushRaw(chunks);
  if (matches) d.matches.pushRaw(matches);
  if (scores) d.scores = scores;
  if (evaluations) d.evaluations = evaluations;
  return d;
}

/**
 * Reads serialized `DocumentProto` bytes.
 * @throws {@link FormatError} for bytes that are not a DocumentProto.
 */
export function decodeDocument(bytes: Uint8Array, options: DecodeOptions = {}): Document {
  const r = new Reader(bytes);
  try {
    return readDocument(r, options);
  } catch (err) {
    if (err instanceof FormatError) throw err;
    if (err instanceof RangeError)
      throw new FormatError(`malformed DocumentProto: ${err.message}`, { cause: err });
    throw err;
  }
}
