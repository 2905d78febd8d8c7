import type { Document } from '@weft/docarray';

// Stand-in for @weft/docarray's filter query language (semantics.md "Filter queries"), used for
// `when` conditions. Swap for DocumentArray.filter() once it lands.

/** Error for a filter query that is not well formed; the message names the bad part. */
export class FilterQueryError extends Error {
  override name = 'FilterQueryError';
}

const CAMEL: Record<string, string> = {
  parent_id: 'parentId',
  mime_type: 'mimeType',
  op_name: 'opName',
  ref_id: 'refId',
};

const OPS = new Set([
  '$eq',
  '$ne',
  '$neq',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$in',
  '$nin',
  '$regex',
  '$size',
  '$exists',
]);

type Predicate = (d: Document) => boolean;

function fieldValue(d: Document, path: string): { value: unknown; topLevel: boolean } {
  const parts = path.split('__');
  let v: unknown = d as unknown as Record<string, unknown>;
  for (const [i, p0] of parts.entries()) {
    if (v === null || v === undefined) return { value: undefined, topLevel: parts.length === 1 };
    const p = CAMEL[p0] ?? p0;
    if (i === 0 && (p === 'tensor' || p === 'embedding')) {
      const t = (d as unknown as Record<string, { toList(): unknown } | undefined>)[p];
      v = t?.toList();
      continue;
    }
    if (i === 0 && (p === 'chunks' || p === 'matches')) {
      v = (d as unknown as Record<string, { toArray(): unknown[] }>)[p]!.toArray();
      continue;
    }
    v = typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  }
  return { value: v, topLevel: parts.length === 1 };
}

function nonEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function compare(a: unknown, b: unknown, op: string): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    return op === '$gt' ? a > b : op === '$gte' ? a >= b : op === '$lt' ? a < b : a <= b;
  }
  if (typeof a === 'string' && typeof b === 'string') {
    return op === '$gt' ? a > b : op === '$gte' ? a >= b : op === '$lt' ? a < b : a <= b;
  }
  return false;
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'object' && typeof b === 'object' && a && b)
    return JSON.stringify(a) === JSON.stringify(b);
  return false;
}

function opPredicate(field: string, op: string, arg: unknown): Predicate {
  if (!OPS.has(op))
    throw new FilterQueryError(`unknown operator '${op}' on '${field}'; use one of ${[...OPS].join(' ')}`);
  switch (op) {
    case '$eq':
      return (d) => equal(fieldValue(d, field).value, arg);
    case '$ne':
    case '$neq':
      return (d) => !equal(fieldValue(d, field).value, arg);
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return (d) => compare(fieldValue(d, field).value, arg, op);
    case '$in':
    case '$nin': {
      if (!Array.isArray(arg)) throw new FilterQueryError(`'${op}' on '${field}' needs a list`);
      const inside = (d: Document) => arg.some((x) => equal(fieldValue(d, field).value, x));
      return op === '$in' ? inside : (d) => !inside(d);
    }
    case '$regex': {
      if (typeof arg !== 'string') throw new FilterQueryError(`'$regex' on '${field}' needs a string`);
      let re: RegExp;
      try {
        re = new RegExp(arg);
      } catch (err) {
        throw new FilterQueryError(`'$regex' on '${field}': ${(err as Error).message}`);
      }
      return (d) => {
        const v = fieldValue(d, field).value;
        return typeof v === 'string' && re.test(v);
      };
    }
    case '$size':
      if (typeof arg !== 'number') throw new FilterQueryError(`'$size' on '${field}' needs a number`);
      return (d) => {
        const v = fieldValue(d, field).value;
        const n = Array.isArray(v) ? v.length : v && typeof v === 'object' ? Object.keys(v).length : -1;
        return n === arg;
      };
    default: {
      // $exists
      if (typeof arg !== 'boolean') throw new FilterQueryError(`'$exists' on '${field}' needs true or false`);
      return (d) => {
        const { value, topLevel } = fieldValue(d, field);
        const exists = topLevel ? nonEmpty(value) : value !== undefined && value !== null;
        return exists === arg;
      };
    }
  }
}

/** Compiles a filter query (`{field: {op: value}}`, `$and`/`$or`/`$not`) into a predicate. */
export function compileFilter(query: unknown): Predicate {
  if (typeof query !== 'object' || query === null || Array.isArray(query))
    throw new FilterQueryError(`a filter query must be an object, got ${JSON.stringify(query)}`);
  const preds: Predicate[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value)) throw new FilterQueryError(`'${key}' needs a list of queries`);
      const subs = value.map(compileFilter);
      preds.push(key === '$and' ? (d) => subs.every((s) => s(d)) : (d) => subs.some((s) => s(d)));
    } else if (key === '$not') {
      const sub = compileFilter(value);
      preds.push((d) => !sub(d));
    } else if (key.startsWith('$')) {
      throw new FilterQueryError(`unknown logical operator '${key}'; use $and, $or or $not`);
    } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const [op, arg] of Object.entries(value)) preds.push(opPredicate(key, op, arg));
    } else {
      preds.push(opPredicate(key, '$eq', value));
    }
  }
  return (d) => preds.every((p) => p(d));
}
