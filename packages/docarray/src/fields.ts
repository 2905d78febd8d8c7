import type { Document } from './document.js';

/** Names of the Document fields, in wire (field number) order. */
export type DocumentField =
  | 'id'
  | 'blob'
  | 'tensor'
  | 'text'
  | 'granularity'
  | 'adjacency'
  | 'parentId'
  | 'weight'
  | 'uri'
  | 'modality'
  | 'mimeType'
  | 'offset'
  | 'location'
  | 'chunks'
  | 'matches'
  | 'embedding'
  | 'tags'
  | 'scores'
  | 'evaluations'
  | 'metadata';

/** Every {@link DocumentField}, in wire order. */
export const DOCUMENT_FIELDS: readonly DocumentField[] = [
  'id',
  'blob',
  'tensor',
  'text',
  'granularity',
  'adjacency',
  'parentId',
  'weight',
  'uri',
  'modality',
  'mimeType',
  'offset',
  'location',
  'chunks',
  'matches',
  'embedding',
  'tags',
  'scores',
  'evaluations',
  'metadata',
];

/** snake_case (wire and JSON) name of each field. */
export const SNAKE_NAMES: Record<DocumentField, string> = {
  id: 'id',
  blob: 'blob',
  tensor: 'tensor',
  text: 'text',
  granularity: 'granularity',
  adjacency: 'adjacency',
  parentId: 'parent_id',
  weight: 'weight',
  uri: 'uri',
  modality: 'modality',
  mimeType: 'mime_type',
  offset: 'offset',
  location: 'location',
  chunks: 'chunks',
  matches: 'matches',
  embedding: 'embedding',
  tags: 'tags',
  scores: 'scores',
  evaluations: 'evaluations',
  metadata: '_metadata',
};

const BY_ANY_NAME = new Map<string, DocumentField>();
for (const f of DOCUMENT_FIELDS) {
  BY_ANY_NAME.set(f, f);
  BY_ANY_NAME.set(SNAKE_NAMES[f], f);
}
BY_ANY_NAME.set('Metadata', 'metadata');

/** The field a camelCase or snake_case name refers to, or undefined. */
export function fieldByName(name: string): DocumentField | undefined {
  return BY_ANY_NAME.get(name);
}

/** Reads a field by name (chunks and matches as DocumentArrays). */
export function getField(doc: Document, field: DocumentField): unknown {
  return (doc as unknown as Record<string, unknown>)[field];
}

/**
 * DocArray's notion of empty: no value, `''`, `0`, an empty list, object, blob or DocumentArray.
 * A tensor or embedding that is set counts as non-empty even with no elements.
 */
export function isFieldEmpty(doc: Document, field: DocumentField): boolean {
  switch (field) {
    case 'chunks':
      return doc.chunkCount === 0;
    case 'matches':
      return doc.matchCount === 0;
    case 'scores':
      return !doc.hasScores;
    case 'evaluations':
      return !doc.hasEvaluations;
    case 'tensor':
      return doc.tensor === undefined;
    case 'embedding':
      return doc.embedding === undefined;
    case 'blob':
      return doc.blob === undefined || doc.blob.length === 0;
    default:
      return isEmptyValue(getField(doc, field));
  }
}

/** Empty as a plain value: undefined, null, `''`, `0`, `[]` or `{}`. */
export function isEmptyValue(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return (v as ArrayLike<unknown>).length === 0;
  if (typeof v === 'object') {
    const len = (v as { length?: unknown }).length;
    if (typeof len === 'number') return len === 0;
    return Object.keys(v).length === 0;
  }
  return false;
}
