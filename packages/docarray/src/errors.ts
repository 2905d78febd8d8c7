/** What went wrong, as a stable code to branch on (never match on message text). */
export type DocArrayErrorCode =
  | 'invalid_dtype'
  | 'invalid_shape'
  | 'invalid_tensor'
  | 'invalid_traversal_path'
  | 'invalid_query'
  | 'invalid_metric'
  | 'dimension_mismatch'
  | 'missing_embedding'
  | 'invalid_argument'
  | 'invalid_format'
  | 'unsupported';

/**
 * Base class of every error thrown by `@weft/docarray`. `code` says what failed; the message names
 * the value and what was expected.
 */
export class DocArrayError extends Error {
  override name = 'DocArrayError';
  /** A stable code for the failure. */
  readonly code: DocArrayErrorCode;
  constructor(code: DocArrayErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Thrown for a tensor whose dtype, shape or buffer is not valid (e.g. `'<f5'`, or 10 bytes for shape [3] × `<f4`). */
export class TensorError extends DocArrayError {
  override name = 'TensorError';
  constructor(message: string, code: DocArrayErrorCode = 'invalid_tensor', options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Thrown when a traversal path such as `'@r[-1]m[:3]'` cannot be parsed. */
export class TraversalPathError extends DocArrayError {
  override name = 'TraversalPathError';
  constructor(message: string) {
    super('invalid_traversal_path', message);
  }
}

/** Thrown when a filter query (`{ tags__k: { $gt: 1 } }`) uses an unknown operator, field or operand. */
export class FilterQueryError extends DocArrayError {
  override name = 'FilterQueryError';
  constructor(message: string) {
    super('invalid_query', message);
  }
}

/** Thrown by `find`/`match` for an unknown metric, missing embeddings or mismatched dimensions. */
export class FindError extends DocArrayError {
  override name = 'FindError';
}

/** Thrown when bytes, JSON or base64 input is not a valid serialized form. */
export class FormatError extends DocArrayError {
  override name = 'FormatError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_format', message, options);
  }
}
