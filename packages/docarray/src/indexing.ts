import type { Document } from './document.js';
import { DocArrayError } from './errors.js';

/**
 * @internal The documents a list key selects: a boolean mask (one entry per document), a list of
 * ids, or a list of positions (negative from the end).
 * @throws {@link DocArrayError} for a mask of the wrong length, an unknown id or a position out of range.
 */
export function selectByList(
  docs: readonly Document[],
  key: readonly boolean[] | readonly string[] | readonly number[],
  byId: (id: string) => Document | undefined,
): Document[] {
  if (key.length === 0) return [];
  if (typeof key[0] === 'boolean') {
    if (key.length !== docs.length) {
      throw new DocArrayError(
        'invalid_argument',
        `boolean mask has ${key.length} entries for ${docs.length} documents`,
      );
    }
    return docs.filter((_, i) => key[i]);
  }
  if (typeof key[0] === 'string') {
    return (key as readonly string[]).map((id) => {
      const d = byId(id);
      if (!d) throw new DocArrayError('invalid_argument', `no document with id '${id}'`);
      return d;
    });
  }
  return (key as readonly number[]).map((i) => {
    const d = docs.at(i);
    if (!d)
      throw new DocArrayError(
        'invalid_argument',
        `position ${i} is out of range for ${docs.length} documents`,
      );
    return d;
  });
}
