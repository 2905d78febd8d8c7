import { create } from '@bufbuild/protobuf';
import {
  type DocumentProto,
  DocumentProtoSchema,
  type NamedScoreProto,
  NamedScoreProtoSchema,
} from '@weft/proto';
import { Document } from './document.js';
import type { NamedScore } from './named-score.js';
import { Tensor } from './tensor.js';

function scoreToProto(s: NamedScore): NamedScoreProto {
  return create(NamedScoreProtoSchema, {
    value: s.value,
    opName: s.opName ?? '',
    description: s.description ?? '',
    refId: s.refId ?? '',
  });
}

function scoreFromProto(s: NamedScoreProto): NamedScore {
  const out: NamedScore = { value: s.value };
  if (s.opName) out.opName = s.opName;
  if (s.description) out.description = s.description;
  if (s.refId) out.refId = s.refId;
  return out;
}

/** @internal The `DocumentProto` message of a document (empty fields left unset, as DocArray does). */
export function documentToProto(d: Document): DocumentProto {
  const p = create(DocumentProtoSchema, {
    id: d.id,
    granularity: d.granularity >>> 0,
    adjacency: d.adjacency >>> 0,
    parentId: d.parentId,
    weight: d.weight,
    uri: d.uri,
    modality: d.modality,
    mimeType: d.mimeType,
    offset: d.offset,
    location: [...d.location],
  });
  const ct = d.contentType;
  if (ct === 'text' && d.text) p.content = { case: 'text', value: d.text };
  else if (ct === 'blob' && d.blob!.length) p.content = { case: 'blob', value: d.blob! };
  else if (ct === 'tensor') p.content = { case: 'tensor', value: d.tensor!.toProto() };
  if (d.chunkCount) p.chunks = d.chunks.map((c) => documentToProto(c));
  if (d.matchCount) p.matches = d.matches.map((m) => documentToProto(m));
  if (d.embedding) p.embedding = d.embedding.toProto();
  if (Object.keys(d.tags).length) p.tags = d.tags;
  if (Object.keys(d.metadata).length) p.Metadata = d.metadata;
  if (d.hasScores) for (const [k, s] of Object.entries(d.scores)) p.scores[k] = scoreToProto(s);
  if (d.hasEvaluations)
    for (const [k, s] of Object.entries(d.evaluations)) p.evaluations[k] = scoreToProto(s);
  return p;
}

/** @internal A document from its `DocumentProto` message; children keep their wire relation fields. */
export function documentFromProto(p: DocumentProto): Document {
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
  const scores = Object.entries(p.scores);
  if (scores.length) d.scores = Object.fromEntries(scores.map(([k, s]) => [k, scoreFromProto(s)]));
  const evaluations = Object.entries(p.evaluations);
  if (evaluations.length)
    d.evaluations = Object.fromEntries(evaluations.map(([k, s]) => [k, scoreFromProto(s)]));
  if (p.chunks.length) d.chunks.pushRaw(p.chunks.map((c) => documentFromProto(c)));
  if (p.matches.length) d.matches.pushRaw(p.matches.map((m) => documentFromProto(m)));
  return d;
}
