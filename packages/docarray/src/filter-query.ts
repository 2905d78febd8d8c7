import type { Document } from './document.js';
import { DocumentArray } from './document-array.js';
import { FilterQueryError } from './errors.js';
import {
  DOCUMENT_FIELDS,
  type DocumentField,
  fieldByName,
  getField,
  isFieldEmpty,
  SNAKE_NAMES,
} from './fields.js';
import { Tensor } from './tensor.js';

/**
 * A filter query: `{ field: { $op: value } }`. Field paths use `__` (`tags__key`,
 * `scores__cosine__value`); ops are `$eq $ne $neq $gt $gte $lt $lte $in $nin $regex $size $exists
 * $not`; logic is `$and`, `$or`, `$not`. Several fields or ops in one object mean AND. A bare value
 * (`{ text: 'hi' }`) means `$eq`.
 */
export type FilterQuery = { [key: string]: unknown };

/** A compiled query: true when a document matches. */
export type DocumentPredicate = (doc: Document) => boolean;

const FIELD_OPS = [
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
  '$not',
];
const LOGIC_OPS = ['$and', '$or', '$not'];

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  !(v instanceof RegExp) &&
  !ArrayBuffer.isView(v);

/** Deep equality of JSON-like values (numbers, strings, lists, objects, tensors by value). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Tensor)
    return Array.isArray(b) ? deepEqual(a.toList(), b) : b instanceof Tensor && a.equals(b);
  if (Array.isArray(a) || ArrayBuffer.isView(a)) {
    const x = a as ArrayLike<unknown>;
    const y = b as ArrayLike<unknown>;
    if (!(Array.isArray(b) || ArrayBuffer.isView(b)) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!deepEqual(x[i], y[i])) return false;
    return true;
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

function sizeOf(v: unknown): number | undefined {
  if (typeof v === 'string' || Array.isArray(v) || ArrayBuffer.isView(v))
    return (v as ArrayLike<unknown>).length;
  if (v instanceof DocumentArray) return v.length;
  if (v instanceof Tensor) return v.size;
  if (isPlainObject(v)) return Object.keys(v).length;
  return undefined;
}

function resolve(doc: Document, field: DocumentField, rest: readonly string[]): unknown {
  let v: unknown = getField(doc, field);
  for (const part of rest) {
    if (v === undefined || v === null) return undefined;
    if (v instanceof DocumentArray) v = /^-?\d+$/.test(part) ? v.at(Number(part)) : undefined;
    else if (v instanceof Tensor) v = /^-?\d+$/.test(part) ? v.toArray().at(Number(part)) : undefined;
    else if (Array.isArray(v)) v = /^-?\d+$/.test(part) ? v.at(Number(part)) : undefined;
    else if (typeof v === 'object')
      v = Object.hasOwn(v, part) ? (v as Record<string, unknown>)[part] : getPlain(v, part);
    else return undefined;
  }
  return v;
}

// Documents reached inside a path (`chunks__0__text`) expose their fields by camel or snake name.
function getPlain(v: object, part: string): unknown {
  if (v && 'chunkCount' in v) {
    const f = fieldByName(part);
    return f ? getField(v as Document, f) : undefined;
  }
  return undefined;
}

function compare(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

type ValueTest = (doc: Document, value: unknown) => boolean;

function compileOps(path: string, field: DocumentField, topLevel: boolean, spec: unknown): ValueTest {
  if (!isPlainObject(spec) || !Object.keys(spec).some((k) => k.startsWith('$'))) {
    return (_d, v) => deepEqual(v, spec);
  }
  const tests: ValueTest[] = [];
  for (const [op, operand] of Object.entries(spec)) {
    if (!FIELD_OPS.includes(op)) {
      throw new FilterQueryError(
        `unknown operator '${op}' on field '${path}': expected one of ${FIELD_OPS.join(', ')}`,
      );
    }
    switch (op) {
      case '$eq':
        tests.push((_d, v) => deepEqual(v, operand));
        break;
      case '$ne':
      case '$neq':
        tests.push((_d, v) => !deepEqual(v, operand));
        break;
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte': {
        if (typeof operand !== 'number' && typeof operand !== 'string') {
          throw new FilterQueryError(
            `operator '${op}' on field '${path}' needs a number or string, got ${JSON.stringify(operand)}`,
          );
        }
        const ok =
          op === '$gt'
            ? (c: number) => c > 0
            : op === '$gte'
              ? (c: number) => c >= 0
              : op === '$lt'
                ? (c: number) => c < 0
                : (c: number) => c <= 0;
        tests.push((_d, v) => {
          const c = compare(v, operand);
          return c !== undefined && ok(c);
        });
        break;
      }
      case '$in':
      case '$nin': {
        if (!Array.isArray(operand)) {
          throw new FilterQueryError(
            `operator '${op}' on field '${path}' needs a list, got ${JSON.stringify(operand)}`,
          );
        }
        const isIn = (v: unknown) =>
          Array.isArray(v)
            ? v.some((x) => operand.some((o) => deepEqual(x, o)))
            : operand.some((o) => deepEqual(v, o));
        tests.push(op === '$in' ? (_d, v) => isIn(v) : (_d, v) => !isIn(v));
        break;
      }
      case '$regex': {
        let re: RegExp;
        try {
          re = operand instanceof RegExp ? operand : new RegExp(String(operand));
        } catch (err) {
          throw new FilterQueryError(
            `invalid regular expression ${JSON.stringify(operand)} on field '${path}': ${(err as Error).message}`,
          );
        }
        if (typeof operand !== 'string' && !(operand instanceof RegExp)) {
          throw new FilterQueryError(
            `operator '$regex' on field '${path}' needs a string pattern, got ${JSON.stringify(operand)}`,
          );
        }
        tests.push((_d, v) => typeof v === 'string' && re.test(v));
        break;
      }
      case '$size': {
        if (typeof operand !== 'number') {
          throw new FilterQueryError(
            `operator '$size' on field '${path}' needs a number, got ${JSON.stringify(operand)}`,
          );
        }
        tests.push((_d, v) => sizeOf(v) === operand);
        break;
      }
      case '$exists': {
        if (typeof operand !== 'boolean') {
          throw new FilterQueryError(
            `operator '$exists' on field '${path}' needs true or false, got ${JSON.stringify(operand)}`,
          );
        }
        tests.push(
          topLevel
            ? (d) => !isFieldEmpty(d, field) === operand
            : (_d, v) => (v !== undefined && v !== null) === operand,
        );
        break;
      }
      case '$not': {
        const inner = compileOps(path, field, topLevel, operand);
        tests.push((d, v) => !inner(d, v));
        break;
      }
    }
  }
  return (d, v) => tests.every((t) => t(d, v));
}

/**
 * Compiles a filter query into a predicate, checking it once.
 * @throws {@link FilterQueryError} for an unknown field, operator, or an operand of the wrong type.
 */
export function compileFilter(query: FilterQuery): DocumentPredicate {
  if (!isPlainObject(query)) {
    throw new FilterQueryError(
      `a filter query must be an object such as { text: { $eq: 'hi' } }, got ${JSON.stringify(query)}`,
    );
  }
  const preds: DocumentPredicate[] = [];
  for (const [key, spec] of Object.entries(query)) {
    if (key.startsWith('$')) {
      if (!LOGIC_OPS.includes(key)) {
        throw new FilterQueryError(
          `unknown logical operator '${key}': expected one of ${LOGIC_OPS.join(', ')} (or a field name)`,
        );
      }
      if (key === '$not') {
        const inner = compileFilter(spec as FilterQuery);
        preds.push((d) => !inner(d));
        continue;
      }
      if (!Array.isArray(spec)) {
        throw new FilterQueryError(`'${key}' needs a list of queries, got ${JSON.stringify(spec)}`);
      }
      const subs = spec.map((s) => compileFilter(s as FilterQuery));
      preds.push(key === '$and' ? (d) => subs.every((p) => p(d)) : (d) => subs.some((p) => p(d)));
      continue;
    }
    const parts = key.split('__');
    const field = fieldByName(parts[0]!);
    if (!field) {
      throw new FilterQueryError(
        `unknown field '${parts[0]}' in filter key '${key}': expected a Document field (${DOCUMENT_FIELDS.map((f) => SNAKE_NAMES[f]).join(', ')}), with '__' for nested keys`,
      );
    }
    const rest = parts.slice(1);
    const test = compileOps(key, field, rest.length === 0, spec);
    preds.push((d) => test(d, resolve(d, field, rest)));
  }
  return (d) => preds.every((p) => p(d));
}
