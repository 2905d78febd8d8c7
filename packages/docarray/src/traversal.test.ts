import { describe, expect, it } from 'vitest';
import { Document } from './document.js';
import { DocumentArray } from './document-array.js';
import { TraversalPathError } from './errors.js';
import { parseTraversalPath } from './traversal.js';

/** r0 (c00, c01, c02; m00, m01, m02, m03), r1 (c10 (c100); m10), r2 (no children). */
function tree(): DocumentArray {
  const da = new DocumentArray([{ id: 'r0' }, { id: 'r1' }, { id: 'r2' }]);
  const [r0, r1] = [da.at(0)!, da.at(1)!];
  r0.chunks.push({ id: 'c00' }, { id: 'c01' }, { id: 'c02' });
  r0.matches.push({ id: 'm00' }, { id: 'm01' }, { id: 'm02' }, { id: 'm03' });
  r1.chunks.push({ id: 'c10' });
  r1.chunks.at(0)!.chunks.push({ id: 'c100' });
  r1.chunks.at(0)!.matches.push({ id: 'c10m0' });
  r1.matches.push({ id: 'm10' });
  return da;
}

describe('traversal paths (semantics.md)', () => {
  const cases: [string, string[]][] = [
    ['@r', ['r0', 'r1', 'r2']],
    ['r', ['r0', 'r1', 'r2']],
    ['@c', ['c00', 'c01', 'c02', 'c10']],
    ['@m', ['m00', 'm01', 'm02', 'm03', 'm10']],
    ['@cc', ['c100']],
    ['@cm', ['c10m0']],
    ['@r,c', ['r0', 'r1', 'r2', 'c00', 'c01', 'c02', 'c10']],
    ['@c,r', ['c00', 'c01', 'c02', 'c10', 'r0', 'r1', 'r2']],
    ['@c[:2]', ['c00', 'c01', 'c10']],
    ['@c1', ['c01']],
    ['@c[1]', ['c01']],
    ['@c[-1]', ['c02', 'c10']],
    ['@m[1:3]', ['m01', 'm02']],
    ['@m[::2]', ['m00', 'm02', 'm10']],
    ['@m[::-1]', ['m03', 'm02', 'm01', 'm00', 'm10']],
    ['@r[-1]', ['r2']],
    ['@r[1]', ['r1']],
    ['@r[-1]m[:3]', []],
    ['@r[0]m[:3]', ['m00', 'm01', 'm02']],
    ['@r[:2]m[-1]', ['m03', 'm10']],
    ['@r[1]c', ['c10']],
    ['@r[1]cc', ['c100']],
    ['@r[5]', []],
    ['@ r , c ', ['r0', 'r1', 'r2', 'c00', 'c01', 'c02', 'c10']],
  ];
  for (const [path, ids] of cases) {
    it(`${JSON.stringify(path)} selects ${ids.join(', ') || 'nothing'}`, () => {
      expect(tree().traverseFlat(path).ids).toEqual(ids);
    });
  }

  it('select() with a path is traverseFlat and holds the same Document objects', () => {
    const da = tree();
    const chunks = da.select('@c');
    expect(chunks.ids).toEqual(['c00', 'c01', 'c02', 'c10']);
    chunks.texts = ['a', 'b', 'c', 'd'];
    expect(da.at(0)!.chunks.texts).toEqual(['a', 'b', 'c']);
  });

  it('traverse() yields one array per parent, the parent’s own array when unsliced', () => {
    const da = tree();
    const parts = [...da.traverse('@c')];
    expect(parts.map((p) => p.ids)).toEqual([['c00', 'c01', 'c02'], ['c10']]);
    expect(parts[0]).toBe(da.at(0)!.chunks);
    parts[1]!.push(new Document({ id: 'new' }));
    expect(da.at(1)!.chunks.at(-1)).toMatchObject({ id: 'new', parentId: 'r1', granularity: 1 });
    expect([...da.traverse('@r')][0]).toBe(da);
    expect([...da.traverse('@c[:1]')].map((p) => p.ids)).toEqual([['c00'], ['c10']]);
  });

  it('flatten() lists every document at every depth, without nesting, leaving the original', () => {
    const da = tree();
    const flat = da.flatten();
    expect(flat.ids).toEqual([
      'r0',
      'c00',
      'c01',
      'c02',
      'm00',
      'm01',
      'm02',
      'm03',
      'r1',
      'c10',
      'c100',
      'c10m0',
      'm10',
      'r2',
    ]);
    expect(flat.at(0)!.chunks.length).toBe(0);
    expect(da.at(0)!.chunks.length).toBe(3);
  });

  it('bad paths throw a TraversalPathError naming the path', () => {
    for (const bad of ['@x', '@', '@c[1:2:0]', '@c[a]', '@cr', '@c,,m', '@c[1:2:3:4]']) {
      expect(() => tree().traverseFlat(bad), bad).toThrow(TraversalPathError);
    }
    expect(() => parseTraversalPath('@cx')).toThrow(/'@cx' at 'x'/);
  });
});
