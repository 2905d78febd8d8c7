import type { Document } from './document.js';
import { DocArrayError, TensorError } from './errors.js';
import { type DocumentField, getField } from './fields.js';
import { Tensor } from './tensor.js';

function checkLength(name: string, got: number, want: number): void {
  if (got !== want) {
    throw new DocArrayError('invalid_argument', `${name}: got ${got} values for ${want} documents`);
  }
}

/**
 * @internal Stacks the tensors of a field into one `[n, ...shape]` tensor. When they are consecutive
 * rows of one buffer (as after setting them from a matrix) the result is a zero-copy view.
 * Undefined when no document has one.
 */
export function stackField(docs: readonly Document[], field: 'embedding' | 'tensor'): Tensor | undefined {
  if (docs.length === 0) return undefined;
  const ts: Tensor[] = [];
  for (const d of docs) {
    const t = d[field];
    if (t) ts.push(t);
  }
  if (ts.length === 0) return undefined;
  if (ts.length !== docs.length) {
    const i = docs.findIndex((d) => !d[field]);
    throw new DocArrayError(
      field === 'embedding' ? 'missing_embedding' : 'invalid_argument',
      `document ${i} (id '${docs[i]!.id}') has no ${field}: all documents or none must have one`,
    );
  }
  const first = ts[0]!;
  const rowBytes = first.data.byteLength;
  let contiguous = true;
  for (let i = 1; i < ts.length && contiguous; i++) {
    const t = ts[i]!;
    contiguous =
      t.data.buffer === first.data.buffer &&
      t.dtype === first.dtype &&
      t.size === first.size &&
      t.data.byteOffset === first.data.byteOffset + i * rowBytes;
  }
  if (contiguous && ts.every((t) => t.shape.join() === first.shape.join())) {
    const Ctor = first.data.constructor as new (b: ArrayBufferLike, o: number, n: number) => Tensor['data'];
    const data = new Ctor(first.data.buffer, first.data.byteOffset, first.size * ts.length);
    return new Tensor(data, [ts.length, ...first.shape], first.dtype);
  }
  return Tensor.stack(ts);
}

/**
 * @internal Sets a tensor field of each document from rows of a `[n, ...]` tensor (zero-copy row
 * views), from a list of tensors, or clears it with undefined.
 */
export function setTensorField(
  docs: readonly Document[],
  field: 'embedding' | 'tensor',
  value: Tensor | readonly (Tensor | undefined)[] | undefined,
): void {
  if (value === undefined) {
    for (const d of docs) d[field] = undefined;
    return;
  }
  if (value instanceof Tensor) {
    if (value.ndim < 1)
      throw new TensorError(`${field}s: a scalar cannot be split into rows`, 'invalid_shape');
    checkLength(`${field}s`, value.shape[0]!, docs.length);
    for (let i = 0; i < docs.length; i++) docs[i]![field] = value.row(i);
    return;
  }
  checkLength(`${field}s`, value.length, docs.length);
  for (let i = 0; i < docs.length; i++) docs[i]![field] = value[i];
}

/** @internal The values of any field, one per document. */
export function getFieldValues(docs: readonly Document[], field: DocumentField): unknown[] {
  return docs.map((d) => getField(d, field));
}

/** @internal Sets any field, one value per document. */
export function setFieldValues(
  docs: readonly Document[],
  field: DocumentField,
  values: readonly unknown[],
): void {
  checkLength(field, values.length, docs.length);
  for (let i = 0; i < docs.length; i++) (docs[i] as unknown as Record<string, unknown>)[field] = values[i];
}
