import { create } from '@bufbuild/protobuf';
import { copyBytes } from './base64.js';
import { type DenseNdArrayProto, type NdArrayProto, NdArrayProtoSchema } from '@weft/proto';
import {
  type DType,
  dtypeOf,
  floatToHalf,
  halfToFloat,
  LITTLE_ENDIAN,
  parseDType,
  shapeSize,
  type TensorData,
} from './dtype.js';
import { TensorError } from './errors.js';

export type { DType, TensorData } from './dtype.js';
export { parseDType } from './dtype.js';
export { TensorError } from './errors.js';

/** Options of {@link Tensor.fromBuffer}. */
export interface FromBufferOptions {
  /**
   * Always copy the bytes. Without it the tensor is a zero-copy view of `buffer` whenever the bytes
   * are little-endian and aligned for the element type (so it shares memory with, and keeps alive,
   * the buffer it was read from); otherwise it is a copy.
   * @default false
   */
  copy?: boolean;
}

function checkShape(shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new TensorError(
        `invalid shape [${shape.join(', ')}]: every dimension must be a non-negative integer`,
        'invalid_shape',
      );
    }
  }
}

/**
 * An n-dimensional array: a typed array in row-major order, a shape and a NumPy dtype string.
 * float16 (`'<f2'`) values are held as a Float32Array and converted on the wire; int64/uint64 as
 * BigInt64Array/BigUint64Array; bool (`'|b1'`) as a Uint8Array of 0/1.
 *
 * @example
 * ```ts
 * const t = new Tensor(new Float32Array([1, 2, 3, 4]), [2, 2]);
 * t.dtype; // '<f4'
 * t.toList(); // [[1, 2], [3, 4]]
 * ```
 */
export class Tensor {
  #data: TensorData | undefined;
  // Wire bytes not yet turned into `data` (little-endian, unaligned): see Tensor.fromBuffer.
  #raw: Uint8Array | undefined;
  /** The dimensions; `[]` is a scalar. */
  readonly shape: readonly number[];
  /** The NumPy dtype string used on the wire (always the canonical little-endian form). */
  readonly dtype: DType;

  /**
   * @param data - the elements, row-major.
   * @param shape - the dimensions. @default `[data.length]`
   * @param dtype - the wire dtype; must fit the typed array (`'<f2'` and `'<f4'` take a Float32Array,
   *   `'|b1'` a Uint8Array). @default the dtype matching the typed array (`'<f4'` for Float32Array)
   * @throws {@link TensorError} when the shape does not hold `data.length` elements or the dtype does not fit.
   */
  constructor(data: TensorData, shape?: readonly number[], dtype?: DType | string) {
    if (data instanceof Deferred) {
      this.#raw = data.raw;
      this.shape = Object.freeze([...shape!]);
      this.dtype = dtype as DType;
      return;
    }
    const s = shape ?? [data.length];
    checkShape(s);
    if (shapeSize(s) !== data.length) {
      throw new TensorError(
        `shape [${s.join(', ')}] holds ${shapeSize(s)} elements but the data has ${data.length}`,
        'invalid_shape',
      );
    }
    let dt = dtypeOf(data);
    if (dtype !== undefined) {
      const { info } = parseDType(dtype);
      if (!(data instanceof info.ctor)) {
        throw new TensorError(
          `dtype '${dtype}' needs a ${info.ctor.name} but the data is a ${data.constructor.name}`,
          'invalid_dtype',
        );
      }
      dt = info.wire;
    }
    this.#data = data;
    this.shape = Object.freeze([...s]);
    this.dtype = dt;
  }

  /**
   * @internal A tensor over little-endian wire bytes that cannot be viewed in place (unaligned):
   * the copy into a typed array happens on first access to `data`, and `toBuffer()` returns the
   * bytes as they are until then, so documents that pass through are never copied.
   */
  static deferred(raw: Uint8Array, shape: readonly number[], dtype: DType): Tensor {
    return new Tensor(new Deferred(raw) as unknown as TensorData, shape, dtype);
  }

  /** The elements in row-major order. float16 tensors hold their values as a Float32Array. */
  get data(): TensorData {
    if (this.#data === undefined) {
      const info = parseDType(this.dtype).info;
      const copy = copyBytes(this.#raw!);
      this.#data = new info.ctor(copy.buffer, 0, copy.byteLength / info.size);
      this.#raw = undefined;
    }
    return this.#data;
  }

  /**
   * Builds a tensor from a number or nested number lists, e.g. `[[1, 2], [3, 4]]`.
   * @param dtype - the element type. @default `'<f4'`
   * @throws {@link TensorError} for ragged lists or an unknown dtype.
   */
  static from(values: number | bigint | boolean | readonly unknown[], dtype: DType | string = '<f4'): Tensor {
    const shape: number[] = [];
    let probe: unknown = values;
    while (Array.isArray(probe)) {
      shape.push(probe.length);
      probe = probe[0];
    }
    const flat: unknown[] = [];
    const walk = (v: unknown, dim: number): void => {
      if (dim === shape.length) {
        if (Array.isArray(v))
          throw new TensorError('nested lists are ragged: every row must have the same length');
        flat.push(v);
        return;
      }
      if (!Array.isArray(v) || v.length !== shape[dim]) {
        throw new TensorError(
          'nested lists are ragged: every row must have the same length',
          'invalid_shape',
        );
      }
      for (const x of v) walk(x, dim + 1);
    };
    walk(values, 0);
    const { info } = parseDType(dtype);
    const data = info.make(flat.length);
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
      for (let i = 0; i < flat.length; i++) {
        const v = flat[i];
        data[i] = typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
      }
    } else {
      for (let i = 0; i < flat.length; i++) data[i] = Number(flat[i]);
    }
    return new Tensor(data, shape, info.wire);
  }

  /** Number of elements. */
  get size(): number {
    return this.#data ? this.#data.length : shapeSize(this.shape);
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Bytes the elements take on the wire. */
  get byteLength(): number {
    return this.size * parseDType(this.dtype).info.size;
  }

  /** The elements as nested number lists (bigints become numbers; a scalar becomes a number). */
  toList(): unknown {
    const flat = Array.from(this.data as ArrayLike<number | bigint>, (v) => Number(v));
    if (this.shape.length === 0) return flat[0];
    const build = (dim: number, offset: number): unknown[] => {
      const n = this.shape[dim]!;
      if (dim === this.shape.length - 1) return flat.slice(offset, offset + n);
      const stride = shapeSize(this.shape.slice(dim + 1));
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(build(dim + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** The elements as one flat list of numbers. */
  toArray(): number[] {
    return Array.from(this.data as ArrayLike<number | bigint>, (v) => Number(v));
  }

  /** The elements converted to a Float32Array (the same array, not a copy, when already float32). */
  toFloat32(): Float32Array {
    if (this.data instanceof Float32Array) return this.data;
    const out = new Float32Array(this.data.length);
    for (let i = 0; i < out.length; i++) out[i] = Number(this.data[i]);
    return out;
  }

  /** The elements converted to a Float64Array (a copy). */
  toFloat64(): Float64Array {
    const out = new Float64Array(this.data.length);
    for (let i = 0; i < out.length; i++) out[i] = Number(this.data[i]);
    return out;
  }

  /** A copy converted to another dtype (values are cast as NumPy's `astype` would, truncating floats to ints). */
  astype(dtype: DType | string): Tensor {
    const { info } = parseDType(dtype);
    const out = info.make(this.data.length);
    if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
      for (let i = 0; i < out.length; i++) {
        const v = this.data[i]!;
        out[i] = typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
      }
    } else if (info.kind === 'b') {
      for (let i = 0; i < out.length; i++) out[i] = Number(this.data[i]) !== 0 ? 1 : 0;
    } else {
      for (let i = 0; i < out.length; i++) out[i] = Number(this.data[i]);
    }
    return new Tensor(out, this.shape, info.wire);
  }

  /** The same elements with another shape (a view, no copy). `-1` infers one dimension. */
  reshape(shape: readonly number[]): Tensor {
    const s = [...shape];
    const free = s.indexOf(-1);
    if (free >= 0) {
      const known = shapeSize(s.filter((_, i) => i !== free));
      s[free] = known === 0 ? 0 : this.size / known;
    }
    return new Tensor(this.data, s, this.dtype);
  }

  /** Row `i` along the first axis, as a zero-copy view (negative `i` counts from the end). */
  row(i: number): Tensor {
    if (this.shape.length === 0) throw new TensorError('a scalar tensor has no rows', 'invalid_shape');
    const n = this.shape[0]!;
    const k = i < 0 ? n + i : i;
    if (!Number.isInteger(k) || k < 0 || k >= n) {
      throw new TensorError(`row ${i} is out of range for a tensor of shape [${this.shape.join(', ')}]`);
    }
    const rest = this.shape.slice(1);
    const stride = shapeSize(rest);
    return new Tensor(this.data.subarray(k * stride, (k + 1) * stride) as TensorData, rest, this.dtype);
  }

  /** A deep copy that owns its memory. */
  clone(): Tensor {
    return new Tensor(this.data.slice() as TensorData, this.shape, this.dtype);
  }

  /** True when shape, dtype and every element are equal. */
  equals(other: Tensor): boolean {
    if (this.dtype !== other.dtype || this.shape.length !== other.shape.length) return false;
    for (let i = 0; i < this.shape.length; i++) if (this.shape[i] !== other.shape[i]) return false;
    const a = this.data;
    const b = other.data;
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!;
      const y = b[i]!;
      if (x !== y && !(Number.isNaN(x) && Number.isNaN(y))) return false;
    }
    return true;
  }

  /**
   * Stacks same-shape, same-dtype tensors along a new first axis (`n` tensors of `[d]` → `[n, d]`).
   * @throws {@link TensorError} when shapes or dtypes differ, or the list is empty.
   */
  static stack(tensors: readonly Tensor[]): Tensor {
    const first = tensors[0];
    if (!first) throw new TensorError('cannot stack an empty list of tensors', 'invalid_argument');
    const out = parseDType(first.dtype).info.make(first.size * tensors.length);
    let offset = 0;
    for (const t of tensors) {
      if (t.dtype !== first.dtype || t.shape.length !== first.shape.length || t.size !== first.size) {
        throw new TensorError(
          `cannot stack a ${t.dtype} [${t.shape.join(', ')}] tensor with ${first.dtype} [${first.shape.join(', ')}]: shapes and dtypes must match`,
          'invalid_shape',
        );
      }
      (out as Float32Array).set(t.data as Float32Array, offset);
      offset += t.size;
    }
    return new Tensor(out, [tensors.length, ...first.shape], first.dtype);
  }

  /** Raw little-endian element bytes as the wire carries them (a view of `data` unless float16). */
  toBuffer(): Uint8Array {
    if (this.#raw) return this.#raw;
    if (this.dtype === '<f2') {
      const out = new Uint16Array(this.data.length);
      for (let i = 0; i < out.length; i++) out[i] = floatToHalf(Number(this.data[i]));
      return new Uint8Array(out.buffer);
    }
    if (!LITTLE_ENDIAN)
      return swapBytes(new Uint8Array(this.data.slice().buffer), parseDType(this.dtype).info.size);
    return new Uint8Array(this.data.buffer, this.data.byteOffset, this.data.byteLength);
  }

  /**
   * Reads a tensor from wire bytes. A leading `>` in `dtype` reads big-endian; float16 is decoded to
   * float32 values. The result is a zero-copy view when alignment allows (see {@link FromBufferOptions}).
   * @throws {@link TensorError} for an unknown dtype or a buffer whose length is not shape × dtype size.
   */
  static fromBuffer(
    buffer: Uint8Array,
    shape: readonly number[],
    dtype: DType | string,
    options: FromBufferOptions = {},
  ): Tensor {
    const { bigEndian, key, info } = parseDType(dtype);
    checkShape(shape);
    const n = shapeSize(shape);
    if (buffer.byteLength !== n * info.size) {
      throw new TensorError(
        `buffer of ${buffer.byteLength} bytes does not match shape [${shape.join(', ')}] × dtype '${dtype}' (${n * info.size} bytes expected)`,
        'invalid_shape',
      );
    }
    const swap = bigEndian === LITTLE_ENDIAN && info.size > 1;
    if (key === 'f2') {
      const bytes = swap ? swapBytes(copyBytes(buffer), 2) : buffer;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return new Tensor(out, shape, '<f2');
    }
    if (!swap && !options.copy) {
      if (buffer.byteOffset % info.size === 0) {
        return new Tensor(new info.ctor(buffer.buffer, buffer.byteOffset, n), shape, info.wire);
      }
      if (LITTLE_ENDIAN) return Tensor.deferred(buffer, shape, info.wire);
    }
    const copy = copyBytes(buffer);
    if (swap) swapBytes(copy, info.size);
    return new Tensor(new info.ctor(copy.buffer, 0, n), shape, info.wire);
  }

  /** The wire message (`cls_name` is always `numpy` so that Python readers keep it). */
  toProto(): NdArrayProto {
    return create(NdArrayProtoSchema, {
      content: {
        case: 'dense',
        value: { buffer: this.toBuffer(), shape: [...this.shape], dtype: this.dtype },
      },
      clsName: 'numpy',
    });
  }

  /**
   * Reads a wire message: dense content of any `cls_name` (an unknown or empty one is accepted), and
   * sparse COO content, which is densified. Returns undefined when there is no content at all.
   */
  static fromProto(proto: NdArrayProto, options: FromBufferOptions = {}): Tensor | undefined {
    if (proto.content.case === 'dense') return denseFromProto(proto.content.value, options);
    if (proto.content.case === 'sparse') {
      const s = proto.content.value;
      if (!s.indices || !s.values) return undefined;
      return densify(denseFromProto(s.indices), denseFromProto(s.values), s.shape, proto.clsName);
    }
    return undefined;
  }

  /** A short description such as `Tensor<f4>[2, 3]`. */
  toString(): string {
    return `Tensor${this.dtype}[${this.shape.join(', ')}]`;
  }
}

/** Marks wire bytes whose typed-array copy is made on first access. */
class Deferred {
  constructor(readonly raw: Uint8Array) {}
}

function denseFromProto(d: DenseNdArrayProto, options: FromBufferOptions = {}): Tensor {
  return Tensor.fromBuffer(d.buffer, d.shape, d.dtype || '<f4', options);
}

function swapBytes(bytes: Uint8Array, size: number): Uint8Array {
  for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
  return bytes;
}

/**
 * COO → dense. Indices are `[nnz, ndim]` (scipy, tensorflow) or `[ndim, nnz]` (torch); the layout
 * is taken from `cls_name` and, failing that, from which axis matches the number of values.
 */
function densify(indices: Tensor, values: Tensor, shape: readonly number[], clsName: string): Tensor {
  const ndim = shape.length;
  const nnz = values.size;
  const info = parseDType(values.dtype).info;
  const out = info.make(shapeSize(shape));
  const idx = indices.toArray();
  let dimMajor = clsName === 'torch';
  if (indices.shape.length === 2 && indices.shape[0] === ndim && indices.shape[1] === nnz && ndim !== nnz) {
    dimMajor = true;
  } else if (
    indices.shape.length === 2 &&
    indices.shape[0] === nnz &&
    indices.shape[1] === ndim &&
    ndim !== nnz
  ) {
    dimMajor = false;
  }
  if (idx.length !== nnz * ndim) {
    throw new TensorError(
      `sparse tensor has ${idx.length} indices for ${nnz} values of a ${ndim}-d shape (${nnz * ndim} expected)`,
      'invalid_shape',
    );
  }
  for (let k = 0; k < nnz; k++) {
    let flat = 0;
    for (let d = 0; d < ndim; d++) {
      const i = dimMajor ? idx[d * nnz + k]! : idx[k * ndim + d]!;
      flat = flat * shape[d]! + i;
    }
    (out as Float32Array)[flat] = values.data[k] as number;
  }
  return new Tensor(out, shape, values.dtype);
}
