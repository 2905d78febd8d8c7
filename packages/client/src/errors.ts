import type { DataRequestProto } from '@weft/proto';

/**
 * Thrown (or passed to `onError`) when a response carries an ERROR status: an executor's handler
 * threw. Carries the whole response, the executor's name and its remote stack.
 */
export class ExecutorError extends Error {
  override name = 'ExecutorError';
  /** The response with the ERROR status. */
  readonly response: DataRequestProto;
  /** The executor that failed. */
  readonly executor: string;
  /** The exception's class name on the executor, e.g. `ValueError` or `TypeError`. */
  readonly remoteName: string;
  /** The remote stack trace lines. */
  readonly remoteStack: readonly string[];

  constructor(response: DataRequestProto) {
    const ex = response.header?.status?.exception;
    const executor = ex?.executor ?? '';
    super(
      `executor '${executor || 'unknown'}' failed on request ${response.header?.requestId ?? '?'}: ${response.header?.status?.description ?? 'no description'}`,
    );
    this.response = response;
    this.executor = executor;
    this.remoteName = ex?.name ?? '';
    this.remoteStack = ex?.stacks ?? [];
  }
}
