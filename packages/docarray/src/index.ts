/**
 * Document, DocumentArray and Tensor: the data layer of Weft, byte-compatible with DocArray v1.
 * @packageDocumentation
 */
export { Document } from './document.js';
export type { DocumentInit, NamedScore } from './document.js';
export { DocumentArray } from './document-array.js';
export { Tensor, TensorError, parseDType } from './tensor.js';
export type { DType, TensorData } from './tensor.js';
export { newId } from './ids.js';
