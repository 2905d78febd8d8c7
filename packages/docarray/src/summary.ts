import type { Document } from './document.js';
import type { DocumentArray } from './document-array.js';
import { DOCUMENT_FIELDS, SNAKE_NAMES } from './fields.js';
import type { Tensor } from './tensor.js';

function short(v: string, n = 50): string {
  const s = JSON.stringify(v);
  return s.length > n ? `${s.slice(0, n - 1)}…"` : s;
}

function tensorLabel(t: Tensor): string {
  return `${t.dtype} [${t.shape.join(', ')}]`;
}

function fieldLine(d: Document, f: (typeof DOCUMENT_FIELDS)[number]): string | undefined {
  switch (f) {
    case 'id':
    case 'chunks':
    case 'matches':
      return undefined;
    case 'text':
      return `text: ${short(d.text)}`;
    case 'blob':
      return `blob: ${d.blob!.length} bytes`;
    case 'tensor':
      return `tensor: ${tensorLabel(d.tensor!)}`;
    case 'embedding':
      return `embedding: ${tensorLabel(d.embedding!)}`;
    case 'scores':
    case 'evaluations': {
      const m = d[f];
      return `${f}: ${Object.entries(m)
        .map(([k, s]) => `${k}=${Number(s.value.toPrecision(6))}`)
        .join(', ')}`;
    }
    case 'tags':
    case 'metadata': {
      const s = JSON.stringify(d[f]);
      return `${SNAKE_NAMES[f]}: ${s.length > 60 ? `${s.slice(0, 59)}…` : s}`;
    }
    case 'location':
      return `location: [${d.location.join(', ')}]`;
    default: {
      const v = (d as unknown as Record<string, unknown>)[f];
      return `${SNAKE_NAMES[f]}: ${typeof v === 'string' ? short(v) : String(v)}`;
    }
  }
}

function render(d: Document, indent: string, out: string[]): void {
  out.push(`${indent}Document ${d.id}`);
  const fields = d.nonEmptyFields.map((f) => fieldLine(d, f)).filter((x): x is string => x !== undefined);
  const kids: [string, DocumentArray][] = [];
  if (d.chunkCount) kids.push(['chunks', d.chunks]);
  if (d.matchCount) kids.push(['matches', d.matches]);
  const lines = [...fields.map((l) => ({ l })), ...kids.map(([name, da]) => ({ name, da }))];
  lines.forEach((item, i) => {
    const last = i === lines.length - 1;
    const branch = last ? '└─ ' : '├─ ';
    const cont = last ? '   ' : '│  ';
    if ('l' in item) out.push(`${indent}${branch}${item.l}`);
    else {
      out.push(`${indent}${branch}${item.name} (${item.da.length})`);
      for (const child of item.da) render(child, indent + cont, out);
    }
  });
}

/** @internal A readable tree of one document. */
export function documentSummary(d: Document): string {
  const out: string[] = [];
  render(d, '', out);
  return out.join('\n');
}

/** @internal A table of a DocumentArray: length, how many documents use each field, tensor shapes. */
export function arraySummary(da: DocumentArray): string {
  const counts = new Map<string, number>();
  const shapes = new Map<string, Set<string>>();
  let chunks = 0;
  let matches = 0;
  for (const d of da) {
    for (const f of d.nonEmptyFields) counts.set(f, (counts.get(f) ?? 0) + 1);
    for (const f of ['tensor', 'embedding'] as const) {
      const t = d[f];
      if (t) {
        const set = shapes.get(f) ?? new Set<string>();
        set.add(tensorLabel(t));
        shapes.set(f, set);
      }
    }
    chunks += d.chunkCount;
    matches += d.matchCount;
  }
  const out = [`DocumentArray: ${da.length} documents`];
  if (chunks) out.push(`  chunks: ${chunks} in total`);
  if (matches) out.push(`  matches: ${matches} in total`);
  if (counts.size) {
    out.push('  field            documents  details');
    for (const f of DOCUMENT_FIELDS) {
      const n = counts.get(f);
      if (!n || f === 'chunks' || f === 'matches') continue;
      const detail = shapes.get(f) ? [...shapes.get(f)!].slice(0, 3).join('; ') : '';
      out.push(`  ${SNAKE_NAMES[f].padEnd(16)} ${String(n).padStart(9)}  ${detail}`.trimEnd());
    }
  }
  return out.join('\n');
}
