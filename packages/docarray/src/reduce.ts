import type { Document } from './document.js';
import type { DocumentArray } from './document-array.js';
import { DOCUMENT_FIELDS, isFieldEmpty } from './fields.js';

/**
 * Reduces `other` into `target` (semantics.md, Flow topology): fields empty in `target` are filled
 * from `other` (so the first non-empty value wins); chunks and matches are reduced recursively as
 * DocumentArrays. `id` is never changed.
 */
export function reduceDocument(target: Document, other: Document): Document {
  for (const f of DOCUMENT_FIELDS) {
    if (f === 'id') continue;
    if (f === 'chunks' || f === 'matches') {
      if (other[f === 'chunks' ? 'chunkCount' : 'matchCount'] > 0) reduceArray(target[f], other[f]);
      continue;
    }
    if (f === 'blob' || f === 'tensor' || f === 'text') continue;
    if (!isFieldEmpty(target, f) || isFieldEmpty(other, f)) continue;
    switch (f) {
      case 'tags':
      case 'metadata':
        target[f] = structuredClone(other[f]);
        break;
      case 'scores':
      case 'evaluations':
        target[f] = other[f];
        break;
      case 'location':
        target.location = [...other.location];
        break;
      default:
        (target as unknown as Record<string, unknown>)[f] = (other as unknown as Record<string, unknown>)[f];
    }
  }
  // Content is one field: when the target has none, take the other's.
  const empty =
    target.contentType === undefined ||
    (target.contentType === 'text' && target.text === '') ||
    (target.contentType === 'blob' && target.blob!.length === 0);
  if (empty && other.contentType !== undefined) {
    if (other.contentType === 'text' && other.text) target.text = other.text;
    else if (other.contentType === 'blob' && other.blob!.length) target.blob = other.blob;
    else if (other.contentType === 'tensor') target.tensor = other.tensor;
  }
  return target;
}

/**
 * Reduces `other` into `target`: target's documents first, in order; documents of `other` whose id
 * is new are appended as they are; documents with the same id are reduced with
 * {@link reduceDocument}.
 */
export function reduceArray(target: DocumentArray, other: DocumentArray): DocumentArray {
  const byId = new Map<string, Document>();
  for (const d of target) if (!byId.has(d.id)) byId.set(d.id, d);
  const added: Document[] = [];
  for (const d of other) {
    const existing = byId.get(d.id);
    if (existing) reduceDocument(existing, d);
    else {
      byId.set(d.id, d);
      added.push(d);
    }
  }
  if (added.length) target.pushRaw(added);
  return target;
}
