import { Code, ConnectError } from '@connectrpc/connect';

export { Code, ConnectError };

/**
 * A transport-level failure: a connect `Code` plus a message that says what failed, where,
 * and what to do. All Weft transport errors are `ConnectError`s so that `code` survives every hop.
 */
export function transportError(code: Code, message: string, cause?: unknown): ConnectError {
  return new ConnectError(message, code, undefined, undefined, cause);
}

/** Error for invalid options or configuration given by the user. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  /** Always `Code.InvalidArgument`. */
  readonly code = Code.InvalidArgument;
}

/** The text of any thrown value. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
