import type { Document } from './document.js';
import { TraversalPathError } from './errors.js';

/** A per-parent selection: one position, or a Python-style slice. */
export type TraversalSlice = { index: number } | { start?: number; stop?: number; step?: number };

/** One step of a traversal path: roots, chunks or matches, optionally sliced per parent. */
export interface TraversalStep {
  relation: 'r' | 'c' | 'm';
  slice?: TraversalSlice;
}

const STEP = /^([rcm])(?:\[([^\]]*)\]|(-?\d+))?/;

function parseInt10(s: string, path: string): number | undefined {
  if (s === '') return undefined;
  if (!/^-?\d+$/.test(s))
    throw new TraversalPathError(`invalid slice bound '${s}' in traversal path '${path}'`);
  return Number(s);
}

function parseSlice(inner: string, path: string): TraversalSlice {
  const s = inner.trim();
  if (/^-?\d+$/.test(s)) return { index: Number(s) };
  const parts = s.split(':');
  if (parts.length < 2 || parts.length > 3) {
    throw new TraversalPathError(
      `invalid slice '[${inner}]' in traversal path '${path}': expected [i], [start:stop] or [start:stop:step]`,
    );
  }
  const out: { start?: number; stop?: number; step?: number } = {};
  const start = parseInt10(parts[0]!.trim(), path);
  const stop = parseInt10(parts[1]!.trim(), path);
  const step = parts[2] === undefined ? undefined : parseInt10(parts[2].trim(), path);
  if (start !== undefined) out.start = start;
  if (stop !== undefined) out.stop = stop;
  if (step !== undefined) {
    if (step === 0) throw new TraversalPathError(`slice step cannot be zero in traversal path '${path}'`);
    out.step = step;
  }
  return out;
}

/**
 * Parses a traversal path (`'@r'`, `'@cm'`, `'@r,c'`, `'@c[:2]'`, `'@c1'`, `'@r[-1]m[:3]'`; the
 * leading `@` is optional) into its comma-separated segments, each a list of steps.
 * @throws {@link TraversalPathError} naming the path and the offending part.
 */
export function parseTraversalPath(path: string): TraversalStep[][] {
  if (typeof path !== 'string')
    throw new TraversalPathError(`traversal path must be a string, got ${typeof path}`);
  const body = path.startsWith('@') ? path.slice(1) : path;
  if (body.trim() === '')
    throw new TraversalPathError(`empty traversal path '${path}': expected e.g. '@r', '@c' or '@r,cm'`);
  return body.split(',').map((segment) => {
    let rest = segment.trim();
    if (!rest) throw new TraversalPathError(`empty segment in traversal path '${path}'`);
    const steps: TraversalStep[] = [];
    while (rest) {
      const m = STEP.exec(rest);
      if (!m) {
        throw new TraversalPathError(
          `invalid traversal path '${path}' at '${rest}': each step is r (roots), c (chunks) or m (matches), optionally followed by [i] or [start:stop:step]`,
        );
      }
      const relation = m[1] as 'r' | 'c' | 'm';
      if (relation === 'r' && steps.length > 0) {
        throw new TraversalPathError(
          `invalid traversal path '${path}': 'r' (roots) can only start a segment`,
        );
      }
      const step: TraversalStep = { relation };
      if (m[2] !== undefined) step.slice = parseSlice(m[2], path);
      else if (m[3] !== undefined) step.slice = { index: Number(m[3]) };
      steps.push(step);
      rest = rest.slice(m[0].length);
    }
    return steps;
  });
}

/** Python-style slicing of a list (negative positions count from the end; out of range gives nothing). */
export function applySlice<T>(items: readonly T[], slice: TraversalSlice | undefined): T[] {
  if (!slice) return items as T[];
  const n = items.length;
  if ('index' in slice) {
    const i = slice.index < 0 ? n + slice.index : slice.index;
    return i >= 0 && i < n ? [items[i]!] : [];
  }
  const step = slice.step ?? 1;
  const norm = (v: number | undefined, dflt: number, lo: number, hi: number) => {
    if (v === undefined) return dflt;
    const x = v < 0 ? v + n : v;
    return Math.min(Math.max(x, lo), hi);
  };
  const out: T[] = [];
  if (step > 0) {
    const start = norm(slice.start, 0, 0, n);
    const stop = norm(slice.stop, n, 0, n);
    for (let i = start; i < stop; i += step) out.push(items[i]!);
  } else {
    const start = norm(slice.start, n - 1, -1, n - 1);
    const stop = norm(slice.stop, -1, -1, n - 1);
    for (let i = start; i > stop; i += step) out.push(items[i]!);
  }
  return out;
}

/**
 * Walks a parsed path from a list of root documents and calls `visit` with each list of documents
 * selected at the end of a segment: the (sliced) roots for `r`, and for `c`/`m` the (sliced)
 * chunks or matches of each parent that has any, parent by parent in order. `own` is true when the
 * list is exactly a parent's chunks or matches (not sliced), so the caller may hand that array out.
 */
export function walkTraversal(
  roots: readonly Document[],
  segments: TraversalStep[][],
  visit: (docs: Document[], owner: { parent: Document; relation: 'c' | 'm' } | undefined) => void,
): void {
  for (const steps of segments) {
    let level: { docs: Document[]; owner: { parent: Document; relation: 'c' | 'm' } | undefined }[] = [
      { docs: roots as Document[], owner: undefined },
    ];
    for (const step of steps) {
      if (step.relation === 'r') {
        level = level.map((l) => ({
          docs: applySlice(l.docs, step.slice),
          owner: step.slice ? undefined : l.owner,
        }));
        continue;
      }
      const next: typeof level = [];
      for (const l of level) {
        for (const parent of l.docs) {
          const count = step.relation === 'c' ? parent.chunkCount : parent.matchCount;
          if (count === 0) continue;
          const kids = (step.relation === 'c' ? parent.chunks : parent.matches).toArray();
          next.push({
            docs: applySlice(kids, step.slice),
            owner: step.slice ? undefined : { parent, relation: step.relation },
          });
        }
      }
      level = next;
    }
    for (const l of level) visit(l.docs, l.owner);
  }
}
