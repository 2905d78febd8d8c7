/**
 * Pieces shared by Weft clients and servers: errors, request helpers and address parsing.
 * Node-only gRPC plumbing lives in `@weft/core/grpc`.
 * @packageDocumentation
 */
export { Code, ConnectError, ConfigError, errorText, transportError } from './errors.js';
export { hostPort, parseAddress } from './address.js';
export { callerModule } from './caller.js';
export type { Address } from './address.js';
export {
  RESULTS_KEY,
  createDataRequest,
  endRoute,
  errorStatus,
  isErrorResponse,
  newRequestId,
  requestDocs,
  requestEndpoint,
  setRequestDocs,
  startRoute,
} from './request.js';
export type { DataRequestInit } from './request.js';
