import { TensorError } from './errors.js';

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

/** Every {@link DType}, in the order of wire.md. */
export const DTYPES: readonly DType[] = [
  '<f4',
  '<f8',
  '<f2',
  '|i1',
  '|u1',
  '<i2',
  '<u2',
  '<i4',
  '<u4',
  '<i8',
  '<u8',
  '|b1',
];

type TypedArrayCtor = {
  new (n: number): TensorData;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TensorData;
  readonly BYTES_PER_ELEMENT: number;
};

/** @internal What a dtype key means. */
export interface DTypeInfo {
  /** `f`loat, signed `i`nt, `u`nsigned int or `b`ool. */
  kind: 'f' | 'i' | 'u' | 'b';
  /** Bytes per element on the wire. */
  size: number;
  /** The typed array holding the values in memory (float16 values are held as float32). */
  ctor: TypedArrayCtor;
  /** The canonical wire string. */
  wire: DType;
  /** Creates an array of `n` elements. */
  make: (n: number) => TensorData;
}

function info(kind: DTypeInfo['kind'], size: number, ctor: unknown, wire: DType): DTypeInfo {
  const c = ctor as TypedArrayCtor;
  return { kind, size, ctor: c, wire, make: (n) => new c(n) };
}

const TABLE: Record<string, DTypeInfo> = {
  f2: info('f', 2, Float32Array, '<f2'),
  f4: info('f', 4, Float32Array, '<f4'),
  f8: info('f', 8, Float64Array, '<f8'),
  i1: info('i', 1, Int8Array, '|i1'),
  u1: info('u', 1, Uint8Array, '|u1'),
  i2: info('i', 2, Int16Array, '<i2'),
  u2: info('u', 2, Uint16Array, '<u2'),
  i4: info('i', 4, Int32Array, '<i4'),
  u4: info('u', 4, Uint32Array, '<u4'),
  i8: info('i', 8, BigInt64Array, '<i8'),
  u8: info('u', 8, BigUint64Array, '<u8'),
  b1: info('b', 1, Uint8Array, '|b1'),
};

/** NumPy names accepted as aliases (`float32`, `int64`, `bool`, …). */
const ALIASES: Record<string, string> = {
  f: 'f4',
  float16: 'f2',
  half: 'f2',
  e: 'f2',
  float32: 'f4',
  float: 'f8',
  float64: 'f8',
  d: 'f8',
  int8: 'i1',
  b: 'i1',
  uint8: 'u1',
  B: 'u1',
  int16: 'i2',
  uint16: 'u2',
  int32: 'i4',
  uint32: 'u4',
  int64: 'i8',
  int: 'i8',
  uint64: 'u8',
  bool: 'b1',
  '?': 'b1',
};

/**
 * Splits a NumPy dtype string (`'<f4'`, `'>i8'`, `'|b1'`, or a name such as `'float32'`) into its byte
 * order and table entry.
 *
 * @throws {@link TensorError} (code `invalid_dtype`) for a string that is not a dtype of the wire format.
 */
export function parseDType(dtype: string): { bigEndian: boolean; key: string; info: DTypeInfo } {
  const hit = PARSED.get(dtype);
  if (hit) return hit;
  const parsed = parseUncached(dtype);
  if (PARSED.size < 256) PARSED.set(dtype, parsed);
  return parsed;
}

const PARSED = new Map<string, { bigEndian: boolean; key: string; info: DTypeInfo }>();

function parseUncached(dtype: string): { bigEndian: boolean; key: string; info: DTypeInfo } {
  let order = '<';
  let key = dtype;
  if (/^[<>|=]/.test(dtype)) {
    order = dtype[0]!;
    key = dtype.slice(1);
  }
  key = ALIASES[key] ?? key;
  const entry = TABLE[key];
  if (typeof dtype !== 'string' || !entry) {
    throw new TensorError(
      `unknown dtype '${String(dtype)}': expected a NumPy dtype string, one of ${DTYPES.map((d) => `'${d}'`).join(', ')} (a leading '>' reads big-endian)`,
      'invalid_dtype',
    );
  }
  return { bigEndian: order === '>' && entry.size > 1, key, info: entry };
}

/** The wire dtype a typed array maps to by default (`Float32Array` → `'<f4'`). */
export function dtypeOf(data: TensorData): DType {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Int8Array) return '|i1';
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Int16Array) return '<i2';
  if (data instanceof Uint16Array) return '<u2';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof Uint32Array) return '<u4';
  if (data instanceof BigInt64Array) return '<i8';
  if (data instanceof BigUint64Array) return '<u8';
  throw new TensorError(
    `unsupported tensor data ${Object.prototype.toString.call(data)}: expected a typed array`,
  );
}

/** Decodes one IEEE 754 half-precision value (as its 16 bits) to a number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Encodes a number as IEEE 754 half precision (round to nearest, ties to even); returns the 16 bits. */
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = m >> shift;
    const rest = m & ((1 << shift) - 1);
    if (rest > half || (rest === half && r & 1)) r++;
    return sign | r;
  }
  let h = (e << 10) | (mant >> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
  return sign | h;
}

/** Number of elements of a shape (1 for `[]`). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** @internal True when this machine stores numbers little-endian (every supported platform does). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
