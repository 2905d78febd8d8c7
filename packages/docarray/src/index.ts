/**
 * Document, DocumentArray and Tensor: the data layer of Weft, byte-compatible with DocArray v1.
 * File and Node stream helpers live in `@weft/docarray/node`.
 * @packageDocumentation
 */
export { Document } from './document.js';
export type { DocumentBytesOptions, DocumentInit } from './document.js';
export { DocumentArray } from './document-array.js';
export type { NestedOptions, SelectKey } from './document-array.js';
export { Tensor } from './tensor.js';
export type { FromBufferOptions } from './tensor.js';
export { DTYPES, parseDType, halfToFloat, floatToHalf } from './dtype.js';
export type { DType, DTypeInfo, TensorData } from './dtype.js';
export {
  DocArrayError,
  FilterQueryError,
  FindError,
  FormatError,
  TensorError,
  TraversalPathError,
} from './errors.js';
export type { DocArrayErrorCode } from './errors.js';
export { newId } from './ids.js';
export { createScoreMap } from './named-score.js';
export type { NamedScore, NamedScoreMap } from './named-score.js';
export { DOCUMENT_FIELDS } from './fields.js';
export type { DocumentField } from './fields.js';
export { compileFilter } from './filter-query.js';
export type { DocumentPredicate, FilterQuery } from './filter-query.js';
export { parseTraversalPath } from './traversal.js';
export type { TraversalSlice, TraversalStep } from './traversal.js';
export { METRICS } from './find.js';
export type { FindOptions, Metric } from './find.js';
export type { FindQuery } from './find-api.js';
export { reduceArray, reduceDocument } from './reduce.js';
export { COMPRESSIONS, compress, decompress } from './compression.js';
export type { Compression } from './compression.js';
export { STREAM_VERSION } from './bytes-form.js';
export type { BytesProtocol, FromBytesOptions, ToBytesOptions } from './bytes-form.js';
export type { DecodeOptions } from './document-decoder.js';
export { readDocuments } from './stream-reader.js';
export type { ByteSource, ReadDocumentsOptions } from './stream-reader.js';
export type { DocumentJson, NamedScoreJson, TensorJson, ToJsonOptions } from './json-form.js';
export { bytesToBase64, base64ToBytes } from './base64.js';
export { mimeTypeOf } from './uri-loader.js';
export type { LoadUriOptions } from './uri-loader.js';
export type { ConcurrencyOptions, RandomOptions } from './batching.js';
