/**
 * Send, batch and stream DocumentArrays to a Weft or Jina gateway.
 * @packageDocumentation
 */
export { Client } from './client.js';
export type { ClientOptions, PostOptions } from './client.js';
export { ExecutorError } from './errors.js';
export type { PostInputs } from './inputs.js';
