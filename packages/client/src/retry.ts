import { type ClientError, TransportError } from './errors.js';

/** How transport errors are retried. Executor errors are never retried. */
export interface RetryOptions {
  /** Attempts per request, the first included; 1 turns retries off. @default 1 */
  maxAttempts?: number;
  /** Upper bound of the first backoff in ms. @default 500 */
  initialBackoff?: number;
  /** Largest backoff in ms. @default 2000 */
  maxBackoff?: number;
  /** Growth of the backoff bound per attempt. @default 1.5 */
  backoffMultiplier?: number;
}

/** @internal */
export type RetryPolicy = Required<RetryOptions>;

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1): "equal jitter", uniformly
 * random in [bound/2, bound] with bound = min(maxBackoff, initialBackoff · multiplier^(attempt−1)),
 * so that many clients do not retry in lockstep and no retry comes immediately.
 */
export function backoffMs(attempt: number, p: RetryPolicy, random: () => number = Math.random): number {
  const bound = Math.min(p.maxBackoff, p.initialBackoff * p.backoffMultiplier ** Math.max(0, attempt - 1));
  return bound / 2 + random() * (bound / 2);
}

/** Whether an error may be retried at all (transport errors marked retryable). */
export function isRetryable(err: ClientError): boolean {
  return err instanceof TransportError && err.retryable;
}

/** Resolves after `ms`, or rejects with `signal.reason` when aborted first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
