import fc from 'fast-check';
import { Document } from '../document.js';
import { type DType, DTYPES, halfToFloat, shapeSize } from '../dtype.js';
import { Tensor } from '../tensor.js';

const SAFE_KEY = fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__' && k !== 'constructor');

/** float32 values (no NaN: NaN is compared separately), optionally finite only. */
export const f32 = (finite: boolean) => fc.float({ noNaN: true, noDefaultInfinity: finite });

function values(dtype: DType, n: number, finite: boolean): fc.Arbitrary<Tensor['data']> {
  switch (dtype) {
    case '<f4':
      // JSON text has no -0: the finite (JSON) variant leaves it out.
      return fc
        .array(f32(finite), { minLength: n, maxLength: n })
        .map((a) => Float32Array.from(a, (v) => (finite && Object.is(v, -0) ? 0 : v)));
    case '<f8':
      return fc
        .array(fc.double({ noNaN: true, noDefaultInfinity: finite }), { minLength: n, maxLength: n })
        .map((a) => Float64Array.from(a));
    case '<f2':
      return fc
        .array(
          fc.integer({ min: 0, max: 0xffff }).filter((h) => (h & 0x7c00) !== 0x7c00),
          { minLength: n, maxLength: n },
        )
        .map((a) => Float32Array.from(a, halfToFloat));
    case '|i1':
      return fc.int8Array({ minLength: n, maxLength: n });
    case '|u1':
      return fc.uint8Array({ minLength: n, maxLength: n });
    case '|b1':
      return fc
        .array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n })
        .map((a) => Uint8Array.from(a));
    case '<i2':
      return fc.int16Array({ minLength: n, maxLength: n });
    case '<u2':
      return fc.uint16Array({ minLength: n, maxLength: n });
    case '<i4':
      return fc.int32Array({ minLength: n, maxLength: n });
    case '<u4':
      return fc.uint32Array({ minLength: n, maxLength: n });
    case '<i8':
      return fc.bigInt64Array({ minLength: n, maxLength: n });
    case '<u8':
      return fc.bigUint64Array({ minLength: n, maxLength: n });
  }
}

/** Any tensor of any wire dtype and a small shape. */
export function tensorArb(
  opts: { dtypes?: readonly DType[]; finite?: boolean; listSafe?: boolean } = {},
): fc.Arbitrary<Tensor> {
  const dtypes = opts.dtypes ?? DTYPES;
  // Nested lists cannot carry a 0 before the last dimension ([0, 3] is just []).
  const shapes = fc
    .array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 })
    .filter((s) => !opts.listSafe || s.slice(0, -1).every((d) => d > 0));
  return fc
    .tuple(fc.constantFrom(...dtypes), shapes)
    .chain(([dtype, shape]) =>
      values(dtype, shapeSize(shape), opts.finite ?? false).map((data) => new Tensor(data, shape, dtype)),
    );
}

const jsonValue = fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v)));
const jsonObject = fc.dictionary(SAFE_KEY, jsonValue, { maxKeys: 3 });

const score = (num: fc.Arbitrary<number>) =>
  fc.record(
    {
      value: num,
      opName: fc.string({ maxLength: 5 }),
      description: fc.string({ maxLength: 5 }),
      refId: fc.string({ maxLength: 5 }),
    },
    { requiredKeys: ['value'] },
  );

export interface DocArbOptions {
  dtypes?: readonly DType[];
  /** Only finite numbers and no -0 (for the JSON form). */
  json?: boolean;
}

function fields(opts: DocArbOptions) {
  const finite = opts.json ?? false;
  const num = opts.json ? f32(true).map((v) => (Object.is(v, -0) ? 0 : v)) : f32(false);
  const t = tensorArb({ dtypes: opts.dtypes, finite, listSafe: opts.json ?? false });
  return fc.record(
    {
      id: fc.oneof(fc.string({ maxLength: 8 }), fc.stringMatching(/^[0-9a-f]{32}$/)),
      content: fc.oneof(
        fc.constant(undefined),
        fc.string({ minLength: 1, maxLength: 20 }).map((text) => ({ text })),
        fc.uint8Array({ minLength: 1, maxLength: 16 }).map((blob) => ({ blob })),
        t.map((tensor) => ({ tensor })),
      ),
      weight: num,
      uri: fc.string({ maxLength: 10 }),
      modality: fc.string({ maxLength: 5 }),
      mimeType: fc.string({ maxLength: 5 }),
      offset: num,
      location: fc.array(num, { maxLength: 3 }),
      embedding: t,
      tags: jsonObject,
      metadata: jsonObject,
      scores: fc.dictionary(SAFE_KEY, score(num), { maxKeys: 2 }),
      evaluations: fc.dictionary(SAFE_KEY, score(num), { maxKeys: 2 }),
    },
    { requiredKeys: ['id'] },
  );
}

function build(f: Record<string, unknown>): Document {
  const { content, ...rest } = f as { content?: object } & Record<string, unknown>;
  return new Document({ ...(rest as object), ...(content ?? {}) });
}

/** Any Document, with up to two levels of chunks and matches (relation fields set by append). */
export function documentArb(opts: DocArbOptions = {}): fc.Arbitrary<Document> {
  const leaf = fields(opts).map(build);
  const mid = fc
    .tuple(fields(opts), fc.array(leaf, { maxLength: 2 }), fc.array(leaf, { maxLength: 2 }))
    .map(([f, chunks, matches]) => build({ ...f, chunks, matches }));
  return fc
    .tuple(
      fields(opts),
      fc.nat({ max: 5 }),
      fc.nat({ max: 5 }),
      fc.array(mid, { maxLength: 2 }),
      fc.array(leaf, { maxLength: 2 }),
    )
    .map(([f, granularity, adjacency, chunks, matches]) =>
      build({ ...f, granularity, adjacency, chunks, matches }),
    );
}

/** A canonical plain snapshot for equality: float32-on-wire fields rounded, tensors by dtype/shape/values. */
export function snapshot(d: Document): unknown {
  const tensor = (t: Tensor | undefined) =>
    t && {
      dtype: t.dtype,
      shape: [...t.shape],
      values: Array.from(t.data as ArrayLike<number | bigint>, (v) =>
        typeof v === 'bigint' ? v.toString() : v,
      ),
    };
  const scores = (
    m: Record<string, { value: number; opName?: string; description?: string; refId?: string }>,
  ) =>
    Object.fromEntries(
      Object.entries(m).map(([k, s]) => [
        k,
        {
          value: Math.fround(s.value),
          opName: s.opName ?? '',
          description: s.description ?? '',
          refId: s.refId ?? '',
        },
      ]),
    );
  return {
    id: d.id,
    text: d.text,
    blob: d.blob?.length ? Buffer.from(d.blob).toString('hex') : undefined,
    tensor: tensor(d.tensor),
    granularity: d.granularity,
    adjacency: d.adjacency,
    parentId: d.parentId,
    weight: Math.fround(d.weight),
    uri: d.uri,
    modality: d.modality,
    mimeType: d.mimeType,
    offset: Math.fround(d.offset),
    location: d.location.map(Math.fround),
    chunks: d.chunks.map(snapshot),
    matches: d.matches.map(snapshot),
    embedding: tensor(d.embedding),
    tags: d.tags,
    scores: scores(d.scores),
    evaluations: scores(d.evaluations),
    metadata: d.metadata,
  };
}
