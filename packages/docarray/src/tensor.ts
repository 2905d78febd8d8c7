import { create } from '@bufbuild/protobuf';
import { type NdArrayProto, NdArrayProtoSchema } from '@weft/proto';

/** Typed arrays a {@link Tensor} can hold. */
export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** The NumPy dtype strings of the wire format (little-endian forms; `>` prefixes are read too). */
export type DType =
  | '<f2'
  | '<f4'
  | '<f8'
  | '|i1'
  | '|u1'
  | '<i2'
  | '<u2'
  | '<i4'
  | '<u4'
  | '<i8'
  | '<u8'
  | '|b1';

interface DTypeInfo {
  kind: 'f' | 'i' | 'u' | 'b';
  size: number;
  make: (n: number) => TensorData;
}

const DTYPES: Record<string, DTypeInfo> = {
  f2: { kind: 'f', size: 2, make: (n) => new Float32Array(n) },
  f4: { kind: 'f', size: 4, make: (n) => new Float32Array(n) },
  f8: { kind: 'f', size: 8, make: (n) => new Float64Array(n) },
  i1: { kind: 'i', size: 1, make: (n) => new Int8Array(n) },
  u1: { kind: 'u', size: 1, make: (n) => new Uint8Array(n) },
  i2: { kind: 'i', size: 2, make: (n) => new Int16Array(n) },
  u2: { kind: 'u', size: 2, make: (n) => new Uint16Array(n) },
  i4: { kind: 'i', size: 4, make: (n) => new Int32Array(n) },
  u4: { kind: 'u', size: 4, make: (n) => new Uint32Array(n) },
  i8: { kind: 'i', size: 8, make: (n) => new BigInt64Array(n) },
  u8: { kind: 'u', size: 8, make: (n) => new BigUint64Array(n) },
  b1: { kind: 'b', size: 1, make: (n) => new Uint8Array(n) },
};

/** Error thrown for a tensor whose dtype, shape or buffer is not valid. */
export class TensorError extends Error {
  override name = 'TensorError';
}

/** Splits a dtype string into byte order and its table entry, or throws a {@link TensorError}. */
export function parseDType(dtype: string): { bigEndian: boolean; key: string; info: DTypeInfo } {
  let order = '<';
  let key = dtype;
  if (/^[<>|=]/.test(dtype)) {
    order = dtype[0]!;
    key = dtype.slice(1);
  }
  if (key === 'f' || key === 'float32') key = 'f4';
  const info = DTYPES[key];
  if (!info) {
    throw new TensorError(
      `unknown dtype '${dtype}': expected a NumPy dtype string such as '<f4', '<f8', '<f2', '|i1', '|u1', '<i2', '<u2', '<i4', '<u4', '<i8', '<u8' or '|b1'`,
    );
  }
  return { bigEndian: order === '>', key, info };
}

function dtypeOf(data: TensorData): DType {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Int8Array) return '|i1';
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Int16Array) return '<i2';
  if (data instanceof Uint16Array) return '<u2';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof Uint32Array) return '<u4';
  if (data instanceof BigInt64Array) return '<i8';
  return '<u8';
}

function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant = (mant | 0x800000) >> (1 - e);
    return sign | ((mant + 0x1000) >> 13);
  }
  const h = sign | (e << 10) | (mant >> 13);
  // round to nearest
  if (mant & 0x1000) {
    e = h + 1;
    return e;
  }
  return h;
}

/**
 * An n-dimensional array: a typed array in row-major order, a shape and a NumPy dtype string.
 *
 * @example
 * ```ts
 * const t = new Tensor(new Float32Array([1, 2, 3, 4]), [2, 2]);
 * t.dtype; // '<f4'
 * ```
 */
export class Tensor {
  /** The elements in row-major order. float16 tensors hold their values as a Float32Array. */
  readonly data: TensorData;
  /** The dimensions; `[]` is a scalar. */
  readonly shape: readonly number[];
  /** The NumPy dtype string used on the wire. */
  readonly dtype: DType;

  /**
   * @param data - the elements, row-major.
   * @param shape - the dimensions. @default `[data.length]`
   * @param dtype - the wire dtype. @default the dtype matching the typed array (`<f4` for Float32Array)
   */
  constructor(data: TensorData, shape?: readonly number[], dtype?: DType) {
    const s = shape ?? [data.length];
    if (product(s) !== data.length) {
      throw new TensorError(
        `shape [${s.join(', ')}] holds ${product(s)} elements but the data has ${data.length}`,
      );
    }
    this.data = data;
    this.shape = [...s];
    this.dtype = dtype ?? dtypeOf(data);
  }

  /** Builds a float32 tensor (or the given dtype) from nested number lists, e.g. `[[1, 2], [3, 4]]`. */
  static from(values: number | readonly unknown[], dtype: DType = '<f4'): Tensor {
    const shape: number[] = [];
    let probe: unknown = values;
    while (Array.isArray(probe)) {
      shape.push(probe.length);
      probe = probe[0];
    }
    const flat = (
      Array.isArray(values) ? (values as unknown[]).flat(Number.POSITIVE_INFINITY) : [values]
    ) as number[];
    if (flat.length !== product(shape))
      throw new TensorError('nested lists are ragged: every row must have the same length');
    const { info } = parseDType(dtype);
    const data = info.make(flat.length);
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
      for (let i = 0; i < flat.length; i++) data[i] = BigInt(Math.trunc(Number(flat[i])));
    } else {
      for (let i = 0; i < flat.length; i++) data[i] = Number(flat[i]);
    }
    return new Tensor(data, shape, dtype);
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** The elements as nested number lists (bigints become numbers). */
  toList(): unknown {
    const flat = Array.from(this.data as ArrayLike<number | bigint>, (v) => Number(v));
    if (this.shape.length === 0) return flat[0];
    const build = (dim: number, offset: number): unknown[] => {
      const n = this.shape[dim]!;
      if (dim === this.shape.length - 1) return flat.slice(offset, offset + n);
      const stride = product(this.shape.slice(dim + 1));
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(build(dim + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** Raw little-endian element bytes as the wire carries them. */
  toBuffer(): Uint8Array {
    if (this.dtype === '<f2') {
      const out = new Uint16Array(this.data.length);
      for (let i = 0; i < out.length; i++) out[i] = floatToHalf(Number(this.data[i]));
      return new Uint8Array(out.buffer);
    }
    return new Uint8Array(this.data.buffer, this.data.byteOffset, this.data.byteLength);
  }

  /** Reads a tensor from wire bytes. The bytes are copied, so unaligned input is fine. */
  static fromBuffer(buffer: Uint8Array, shape: readonly number[], dtype: string): Tensor {
    const { bigEndian, key, info } = parseDType(dtype);
    const n = product(shape);
    if (buffer.byteLength !== n * info.size) {
      throw new TensorError(
        `buffer of ${buffer.byteLength} bytes does not match shape [${shape.join(', ')}] × dtype '${dtype}' (${n * info.size} bytes expected)`,
      );
    }
    const copy = new Uint8Array(buffer.byteLength);
    copy.set(buffer);
    if (bigEndian && info.size > 1) {
      for (let i = 0; i < copy.length; i += info.size) copy.subarray(i, i + info.size).reverse();
    }
    let data: TensorData;
    if (key === 'f2') {
      const halves = new Uint16Array(copy.buffer, 0, n);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(halves[i]!);
      data = out;
    } else {
      const Ctor = info.make(0).constructor as new (b: ArrayBuffer, o: number, l: number) => TensorData;
      data = new Ctor(copy.buffer, 0, n);
    }
    const wireDtype = (info.size === 1 ? `|${key}` : `<${key}`) as DType;
    return new Tensor(data, shape, wireDtype);
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

  /** Reads a wire message; returns undefined for an empty or sparse array with no dense content. */
  static fromProto(proto: NdArrayProto): Tensor | undefined {
    if (proto.content.case !== 'dense') return undefined;
    const d = proto.content.value;
    return Tensor.fromBuffer(d.buffer, d.shape, d.dtype || '<f4');
  }
}
