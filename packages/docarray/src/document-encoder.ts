import type { Document } from './document.js';
import { parseDType } from './dtype.js';
import type { NamedScore } from './named-score.js';
import { structSize, writeStruct } from './struct-codec.js';
import type { Tensor } from './tensor.js';
import { utf8Size, varintSize, Writer } from './wire.js';

// A direct encoder of docarray.DocumentProto. It writes the same bytes as the reference encoder
// (fields in number order, proto3 implicit presence, packed repeated scalars) without building
// intermediate message objects.

const lenField = (tagBytes: number, inner: number): number => tagBytes + varintSize(inner) + inner;
const strField = (tagBytes: number, s: string): number => lenField(tagBytes, utf8Size(s));
const isSetFloat = (v: number): boolean => v !== 0 || Object.is(v, -0);

function tensorBytes(t: Tensor): number {
  return t.size * parseDType(t.dtype).info.size;
}

function denseSize(t: Tensor): number {
  const b = tensorBytes(t);
  let n = b > 0 ? lenField(1, b) : 0;
  if (t.shape.length) {
    let s = 0;
    for (const d of t.shape) s += varintSize(d);
    n += lenField(1, s);
  }
  return n + strField(1, t.dtype);
}

/** @internal Size of an NdArrayProto body for a tensor (dense, cls_name numpy). */
export function ndArraySize(t: Tensor): number {
  return lenField(1, denseSize(t)) + 7; // cls_name: tag, length 5, 'numpy'
}

function writeNdArray(w: Writer, t: Tensor): void {
  w.byte(0x0a);
  w.varint(denseSize(t));
  const b = tensorBytes(t);
  if (b > 0) {
    w.byte(0x0a);
    w.bytes(t.toBuffer());
  }
  if (t.shape.length) {
    let s = 0;
    for (const d of t.shape) s += varintSize(d);
    w.byte(0x12);
    w.varint(s);
    for (const d of t.shape) w.varint(d);
  }
  w.byte(0x1a);
  w.string(t.dtype, t.dtype.length);
  w.byte(0x1a);
  w.string('numpy', 5);
}

function scoreSize(s: NamedScore): number {
  let n = isSetFloat(s.value) ? 5 : 0;
  if (s.opName) n += strField(1, s.opName);
  if (s.description) n += strField(1, s.description);
  if (s.refId) n += strField(1, s.refId);
  return n;
}

function writeScore(w: Writer, s: NamedScore): void {
  if (isSetFloat(s.value)) {
    w.byte(0x0d);
    w.float(s.value);
  }
  if (s.opName) {
    w.byte(0x12);
    w.string(s.opName, utf8Size(s.opName));
  }
  if (s.description) {
    w.byte(0x1a);
    w.string(s.description, utf8Size(s.description));
  }
  if (s.refId) {
    w.byte(0x22);
    w.string(s.refId, utf8Size(s.refId));
  }
}

function scoreMapSize(m: Record<string, NamedScore>): number {
  let n = 0;
  for (const [k, s] of Object.entries(m)) n += lenField(2, strField(1, k) + lenField(1, scoreSize(s)));
  return n;
}

function writeScoreMap(w: Writer, m: Record<string, NamedScore>, tag: number): void {
  for (const [k, s] of Object.entries(m)) {
    const ks = utf8Size(k);
    const ss = scoreSize(s);
    w.varint(tag);
    w.varint(lenField(1, ks) + lenField(1, ss));
    w.byte(0x0a);
    w.string(k, ks);
    w.byte(0x12);
    w.varint(ss);
    writeScore(w, s);
  }
}

/** @internal Size of a DocumentProto body. */
export function documentSize(d: Document): number {
  let n = d.id ? strField(1, d.id) : 0;
  const ct = d.contentType;
  if (ct === 'text') {
    if (d.text) n += strField(1, d.text);
  } else if (ct === 'blob') {
    if (d.blob!.length) n += lenField(1, d.blob!.length);
  } else if (ct === 'tensor') n += lenField(1, ndArraySize(d.tensor!));
  if (d.granularity) n += 1 + varintSize(d.granularity >>> 0);
  if (d.adjacency) n += 1 + varintSize(d.adjacency >>> 0);
  if (d.parentId) n += strField(1, d.parentId);
  if (isSetFloat(d.weight)) n += 5;
  if (d.uri) n += strField(1, d.uri);
  if (d.modality) n += strField(1, d.modality);
  if (d.mimeType) n += strField(1, d.mimeType);
  if (isSetFloat(d.offset)) n += 5;
  if (d.location.length) n += lenField(1, 4 * d.location.length);
  if (d.chunkCount) for (const c of d.chunks) n += lenField(1, documentSize(c));
  if (d.matchCount) for (const m of d.matches) n += lenField(1, documentSize(m));
  if (d.embedding) n += lenField(2, ndArraySize(d.embedding));
  if (Object.keys(d.tags).length) n += lenField(2, structSize(d.tags));
  if (d.hasScores) n += scoreMapSize(d.scores);
  if (d.hasEvaluations) n += scoreMapSize(d.evaluations);
  if (Object.keys(d.metadata).length) n += lenField(2, structSize(d.metadata));
  return n;
}

/** @internal Writes a DocumentProto body whose size is `size`. */
export function writeDocument(w: Writer, d: Document): void {
  if (d.id) {
    w.byte(0x0a);
    w.string(d.id, utf8Size(d.id));
  }
  const ct = d.contentType;
  if (ct === 'blob' && d.blob!.length) {
    w.byte(0x12);
    w.bytes(d.blob!);
  } else if (ct === 'tensor') {
    w.byte(0x1a);
    w.varint(ndArraySize(d.tensor!));
    writeNdArray(w, d.tensor!);
  } else if (ct === 'text' && d.text) {
    w.byte(0x22);
    w.string(d.text, utf8Size(d.text));
  }
  if (d.granularity) {
    w.byte(0x28);
    w.varint(d.granularity >>> 0);
  }
  if (d.adjacency) {
    w.byte(0x30);
    w.varint(d.adjacency >>> 0);
  }
  if (d.parentId) {
    w.byte(0x3a);
    w.string(d.parentId, utf8Size(d.parentId));
  }
  if (isSetFloat(d.weight)) {
    w.byte(0x45);
    w.float(d.weight);
  }
  if (d.uri) {
    w.byte(0x4a);
    w.string(d.uri, utf8Size(d.uri));
  }
  if (d.modality) {
    w.byte(0x52);
    w.string(d.modality, utf8Size(d.modality));
  }
  if (d.mimeType) {
    w.byte(0x5a);
    w.string(d.mimeType, utf8Size(d.mimeType));
  }
  if (isSetFloat(d.offset)) {
    w.byte(0x65);
    w.float(d.offset);
  }
  if (d.location.length) {
    w.byte(0x6a);
    w.varint(4 * d.location.length);
    for (const v of d.location) w.float(v);
  }
  if (d.chunkCount) {
    for (const c of d.chunks) {
      w.byte(0x72);
      w.varint(documentSize(c));
      writeDocument(w, c);
    }
  }
  if (d.matchCount) {
    for (const m of d.matches) {
      w.byte(0x7a);
      w.varint(documentSize(m));
      writeDocument(w, m);
    }
  }
  if (d.embedding) {
    w.byte(0x82);
    w.byte(0x01);
    w.varint(ndArraySize(d.embedding));
    writeNdArray(w, d.embedding);
  }
  if (Object.keys(d.tags).length) {
    w.byte(0x8a);
    w.byte(0x01);
    w.varint(structSize(d.tags));
    writeStruct(w, d.tags);
  }
  if (d.hasScores) writeScoreMap(w, d.scores, 146);
  if (d.hasEvaluations) writeScoreMap(w, d.evaluations, 154);
  if (Object.keys(d.metadata).length) {
    w.byte(0xa2);
    w.byte(0x01);
    w.varint(structSize(d.metadata));
    writeStruct(w, d.metadata);
  }
}

/** Serialized `DocumentProto` bytes of one document. */
export function encodeDocument(d: Document): Uint8Array {
  const w = new Writer(documentSize(d));
  writeDocument(w, d);
  return w.buf;
}
