/** A named score (`scores['cosine']`, `evaluations['precision']`). `value` is float32 on the wire. */
export interface NamedScore {
  /** The score (float32 on the wire). */
  value: number;
  /** Name of the operation that made it. */
  opName?: string;
  /** Free text. */
  description?: string;
  /** Id of the document it refers to. */
  refId?: string;
}

/**
 * Scores by name. Reading a name that is not there gives an empty score (`{ value: 0 }`) instead of
 * undefined; writing to that score (`d.scores.cosine.value = 0.5`) stores it under the name.
 * `name in scores` and `Object.keys(scores)` see only stored scores.
 */
export type NamedScoreMap = Record<string, NamedScore>;

// Keys that runtimes and test frameworks probe on any object; they must stay undefined.
const PROBED = new Set([
  'then',
  'toJSON',
  'asymmetricMatch',
  'nodeType',
  'tagName',
  '$$typeof',
  'constructor',
]);

function isPlainKey(key: string | symbol): key is string {
  return typeof key === 'string' && !PROBED.has(key) && !key.startsWith('@@') && !key.startsWith('__');
}

/** Copies a score, dropping empty optional fields. */
export function normalizeScore(s: Partial<NamedScore> | number): NamedScore {
  if (typeof s === 'number') return { value: s };
  const out: NamedScore = { value: Number(s.value ?? 0) };
  if (s.opName) out.opName = s.opName;
  if (s.description) out.description = s.description;
  if (s.refId) out.refId = s.refId;
  return out;
}

/** Creates a {@link NamedScoreMap} holding copies of `init`'s scores. */
export function createScoreMap(init?: Record<string, Partial<NamedScore> | number>): NamedScoreMap {
  const target: NamedScoreMap = {};
  if (init) for (const [k, v] of Object.entries(init)) target[k] = normalizeScore(v);
  return new Proxy(target, {
    get(t, key, receiver) {
      if (!isPlainKey(key) || Object.hasOwn(t, key) || key in t) return Reflect.get(t, key, receiver);
      const detached: NamedScore = { value: 0 };
      return new Proxy(detached, {
        set(s, p, v) {
          (s as unknown as Record<string | symbol, unknown>)[p] = v;
          if (!Object.hasOwn(t, key)) t[key] = s;
          return true;
        },
      });
    },
  });
}
