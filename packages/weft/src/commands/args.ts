import { InvalidArgumentError } from 'commander';

/** A commander parser for a JSON value checked by `check`. */
export function jsonArg<T>(flag: string, what: string, check: (v: unknown) => v is T) {
  return (text: string): T => {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (err) {
      throw new InvalidArgumentError(`${flag} must be ${what} in JSON: ${(err as Error).message}`);
    }
    if (!check(v)) throw new InvalidArgumentError(`${flag} must be ${what} in JSON; got ${text}`);
    return v;
  };
}

/** Whether a value is a plain JSON object. */
export const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

/** A commander parser for an integer ≥ `min`. */
export function intArg(flag: string, min: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`${flag} must be an integer ≥ ${min}; got ${text}`);
    return n;
  };
}

/** A repeatable `KEY=VALUE` option collected into an object. */
export function keyValue(flag: string) {
  return (text: string, previous: Record<string, string> = {}): Record<string, string> => {
    const i = text.indexOf('=');
    if (i <= 0) throw new InvalidArgumentError(`${flag} takes KEY=VALUE; got ${text}`);
    return { ...previous, [text.slice(0, i)]: text.slice(i + 1) };
  };
}

/** A usage error found inside a command's action: printed, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
