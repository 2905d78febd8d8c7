import { describe, expect, it } from 'vitest';
import { DTYPES, floatToHalf, halfToFloat } from './dtype.js';
import { TensorError } from './errors.js';
import { Tensor } from './tensor.js';

describe('Tensor', () => {
  it('every dtype round-trips through buffer and proto unchanged', () => {
    for (const dtype of DTYPES) {
      const t = Tensor.from(
        [
          [1, 0],
          [2, 3],
        ],
        dtype,
      );
      expect(t.dtype).toBe(dtype);
      const back = Tensor.fromProto(t.toProto())!;
      expect(back.dtype).toBe(dtype);
      expect(back.shape).toEqual([2, 2]);
      expect(back.toList()).toEqual([
        [1, 0],
        [2, 3],
      ]);
    }
  });

  it('holds int64 as BigInt64Array and float16 as float32 values', () => {
    expect(Tensor.from([1, 2], '<i8').data).toBeInstanceOf(BigInt64Array);
    expect(Tensor.from([1, 2], '<u8').data).toBeInstanceOf(BigUint64Array);
    const h = Tensor.from([0.5, 65504, -2], '<f2');
    expect(h.data).toBeInstanceOf(Float32Array);
    expect([...h.toBuffer()]).toEqual([0x00, 0x38, 0xff, 0x7b, 0x00, 0xc0]);
    expect(Tensor.fromBuffer(h.toBuffer(), [3], '<f2').toList()).toEqual([0.5, 65504, -2]);
  });

  it('float16 conversion rounds to nearest even and handles subnormals and infinities', () => {
    expect(floatToHalf(1)).toBe(0x3c00);
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(floatToHalf(2 ** -24)).toBe(0x0001);
    expect(floatToHalf(1e6)).toBe(0x7c00);
    expect(floatToHalf(-Infinity)).toBe(0xfc00);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(Number.isNaN(halfToFloat(0x7e00))).toBe(true);
    for (let h = 0; h < 0x7c00; h += 37) expect(floatToHalf(halfToFloat(h))).toBe(h);
  });

  it('reads big-endian dtypes of every width', () => {
    expect(Tensor.fromBuffer(new Uint8Array([0, 1, 0, 2]), [2], '>i2').toList()).toEqual([1, 2]);
    expect(Tensor.fromBuffer(new Uint8Array([0x3f, 0xf0, 0, 0, 0, 0, 0, 0]), [1], '>f8').toList()).toEqual([
      1,
    ]);
    expect(Tensor.fromBuffer(new Uint8Array([0, 0, 0, 0, 0, 0, 0, 7]), [], '>i8').toList()).toBe(7);
    expect(Tensor.fromBuffer(new Uint8Array([0x3c, 0x00]), [1], '>f2').toList()).toEqual([1]);
  });

  it('is a zero-copy view when aligned and a copy when not (or when asked)', () => {
    const backing = new Uint8Array(12);
    new Float32Array(backing.buffer).set([1, 2, 3]);
    const aligned = Tensor.fromBuffer(backing.subarray(4, 12), [2], '<f4');
    expect(aligned.data.buffer).toBe(backing.buffer);
    const odd = new Uint8Array(9);
    odd.set(backing.subarray(0, 8), 1);
    const copied = Tensor.fromBuffer(odd.subarray(1), [2], '<f4');
    expect(copied.data.buffer).not.toBe(odd.buffer);
    expect(copied.toList()).toEqual([1, 2]);
    expect(Tensor.fromBuffer(backing.subarray(4, 12), [2], '<f4', { copy: true }).data.buffer).not.toBe(
      backing.buffer,
    );
  });

  it('unaligned little-endian bytes are copied on first access to data, not at decode', () => {
    const odd = new Uint8Array(13);
    new DataView(odd.buffer).setFloat32(1, 1.5, true);
    new DataView(odd.buffer).setFloat32(5, -2, true);
    const t = Tensor.fromBuffer(odd.subarray(1, 9), [2], '<f4');
    expect(t.size).toBe(2);
    expect(t.byteLength).toBe(8);
    expect(t.toBuffer().buffer).toBe(odd.buffer); // passes through untouched
    expect([...t.data]).toEqual([1.5, -2]);
    expect(t.data.buffer).not.toBe(odd.buffer);
    expect(t.data).toBe(t.data);
  });

  it('helpers: reshape, row, stack, astype, toFloat32, clone, equals', () => {
    const t = Tensor.from([1, 2, 3, 4, 5, 6]).reshape([2, -1]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.row(-1).toList()).toEqual([4, 5, 6]);
    expect(t.row(0).data.buffer).toBe(t.data.buffer);
    expect(Tensor.stack([t.row(1), t.row(0)]).toList()).toEqual([
      [4, 5, 6],
      [1, 2, 3],
    ]);
    expect(t.astype('<i4').dtype).toBe('<i4');
    expect(Tensor.from([1.7, -1.2]).astype('int64').toList()).toEqual([1, -1]);
    expect(Tensor.from([0, 2]).astype('bool').toList()).toEqual([0, 1]);
    expect(Tensor.from([1, 2], '<i2').toFloat32()).toEqual(new Float32Array([1, 2]));
    expect(t.clone().equals(t)).toBe(true);
    expect(t.clone().data.buffer).not.toBe(t.data.buffer);
    expect(String(t)).toBe('Tensor<f4[2, 3]');
  });

  it('errors name the value and what was expected', () => {
    expect(() => Tensor.from([1], '<f5')).toThrow(
      /unknown dtype '<f5': expected a NumPy dtype string, one of '<f4'/,
    );
    expect(() => Tensor.fromBuffer(new Uint8Array(10), [3], '<f4')).toThrow(
      /buffer of 10 bytes does not match shape \[3\] × dtype '<f4' \(12 bytes expected\)/,
    );
    expect(() => new Tensor(new Float32Array(3), [2, 2])).toThrow(
      /shape \[2, 2\] holds 4 elements but the data has 3/,
    );
    expect(() => new Tensor(new Float32Array(2), [2], '<i4')).toThrow(
      /dtype '<i4' needs a Int32Array but the data is a Float32Array/,
    );
    expect(() => Tensor.from([[1, 2], [3]])).toThrow(/ragged/);
    expect(() => new Tensor(new Float32Array(0), [-1, 0])).toThrow(TensorError);
    try {
      Tensor.from([1], 'float128');
    } catch (err) {
      expect((err as TensorError).code).toBe('invalid_dtype');
    }
  });

  it('densifies sparse COO tensors (torch and scipy layouts)', () => {
    const dense = (t: Tensor) => ({ buffer: t.toBuffer(), shape: [...t.shape], dtype: t.dtype });
    const proto = (indices: Tensor, cls: string) =>
      ({
        content: {
          case: 'sparse',
          value: { indices: dense(indices), values: dense(Tensor.from([5, 6])), shape: [2, 3] },
        },
        clsName: cls,
      }) as never;
    // points (0, 2) = 5 and (1, 0) = 6
    const want = [
      [0, 0, 5],
      [6, 0, 0],
    ];
    expect(
      Tensor.fromProto(
        proto(
          Tensor.from(
            [
              [0, 1],
              [2, 0],
            ],
            '<i8',
          ),
          'torch',
        ),
      )!.toList(),
    ).toEqual(want);
    expect(
      Tensor.fromProto(
        proto(
          Tensor.from(
            [
              [0, 2],
              [1, 0],
            ],
            '<i8',
          ),
          'scipy',
        ),
      )!.toList(),
    ).toEqual(want);
  });
});

describe('Tensor.fromBuffer with Node Buffers', () => {
  it('reads an unaligned view of a pooled Buffer correctly (Buffer#slice is a view, not a copy)', () => {
    const values = new Float32Array([1.5, -2, 3.25]);
    const pool = Buffer.alloc(64, 0xff);
    pool.set(new Uint8Array(values.buffer), 3);
    const view = pool.subarray(3, 3 + values.byteLength);
    const t = Tensor.fromBuffer(view, [3], '<f4');
    expect(Array.from(t.data as Float32Array)).toEqual([1.5, -2, 3.25]);
    const big = Buffer.from([0x3f, 0x80, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00]);
    const pooled = Buffer.concat([Buffer.from([9]), big]).subarray(1);
    expect(Array.from(Tensor.fromBuffer(pooled, [2], '>f4').data as Float32Array)).toEqual([1, 2]);
  });
});
