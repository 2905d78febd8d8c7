import type { JsonObject } from '@bufbuild/protobuf';
import { RESULTS_KEY, requestDocs, setRequestDocs } from '@weft/core';
import { DocumentArray, reduceArray } from '@weft/docarray';
import type { DataRequestProto } from '@weft/proto';

/** Reduces document arrays (semantics.md): first part's docs first; new ids appended; empty fields filled, first non-empty wins. */
export function reduceDocs(parts: readonly DocumentArray[]): DocumentArray {
  const out = new DocumentArray();
  for (const p of parts) reduceArray(out, p);
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
