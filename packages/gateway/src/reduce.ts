import type { JsonObject } from '@bufbuild/protobuf';
import { RESULTS_KEY, requestDocs, setRequestDocs } from '@weft/core';
import { type Document, DocumentArray } from '@weft/docarray';
import type { DataRequestProto } from '@weft/proto';

function fillEmpty(target: Document, source: Document): void {
  if (target.contentType === undefined && source.contentType !== undefined) {
    if (source.contentType === 'text') target.text = source.text;
    else if (source.contentType === 'blob') target.blob = source.blob;
    else target.tensor = source.tensor;
  }
  if (!target.embedding && source.embedding) target.embedding = source.embedding;
  if (!Object.keys(target.tags).length && Object.keys(source.tags).length) target.tags = source.tags;
  for (const k of ['uri', 'modality', 'mimeType', 'parentId'] as const)
    if (!target[k] && source[k]) target[k] = source[k];
  for (const k of ['weight', 'offset', 'granularity', 'adjacency'] as const)
    if (!target[k] && source[k]) target[k] = source[k];
  if (!target.location.length && source.location.length) target.location = source.location;
  for (const [k, v] of Object.entries(source.scores)) if (!(k in target.scores)) target.scores[k] = v;
  for (const [k, v] of Object.entries(source.evaluations))
    if (!(k in target.evaluations)) target.evaluations[k] = v;
  reduceInto(target.chunks, source.chunks);
  reduceInto(target.matches, source.matches);
}

function reduceInto(target: DocumentArray, source: DocumentArray): void {
  for (const d of source) {
    const same = target.get(d.id);
    if (same) fillEmpty(same, d);
    else target.pushRaw([d]);
  }
}

/** Reduces document arrays: first part's docs first; new ids appended; empty fields filled (first non-empty wins). */
export function reduceDocs(parts: readonly DocumentArray[]): DocumentArray {
  const out = new DocumentArray();
  for (const p of parts) reduceInto(out, p);
  return out;
}

/** Reduces the responses of a join into one request: docs reduced, `__results__` merged, routes united. */
export function reduceRequests(parts: readonly DataRequestProto[]): DataRequestProto {
  const [first] = parts;
  if (!first) throw new Error('reduceRequests needs at least one part');
  if (parts.length === 1) return first;
  const docs = reduceDocs(parts.map((p) => requestDocs(p)));
  const results: JsonObject = {};
  const parameters: JsonObject = {};
  const routes = [...first.routes];
  for (const p of parts) {
    const params = (p.parameters ?? {}) as JsonObject;
    for (const [k, v] of Object.entries(params)) if (!(k in parameters)) parameters[k] = v;
    Object.assign(results, (params[RESULTS_KEY] as JsonObject | undefined) ?? {});
    for (const r of p.routes)
      if (!routes.includes(r) && !routes.some((x) => x.executor === r.executor)) routes.push(r);
  }
  parameters[RESULTS_KEY] = results;
  const out: DataRequestProto = { ...first, parameters, routes };
  setRequestDocs(out, docs);
  return out;
}
