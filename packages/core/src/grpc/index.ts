/**
 * Node-only gRPC plumbing shared by Weft's servers and clients.
 * @packageDocumentation
 */
export { DEFAULT_MAX_MESSAGE_BYTES, HTTP2_WINDOW_BYTES, startGrpcServer } from './server.js';
export type { GrpcServer, GrpcServerOptions } from './server.js';
export { createWeftTransport, GuardedHttp2SessionManager } from './transport.js';
export type { WeftTransport, WeftTransportOptions } from './transport.js';
export { registerHealth, ServingStatus } from './health.js';
export { waitForServing } from './wait.js';
export { grpcServerTls, readTlsFiles, readTokensFile } from './files.js';
export type { ServerTlsMaterial, TlsFileNames } from './files.js';
export { DEFAULT_MAX_SESSION_MEMORY_MB, startLeanGrpcServer } from './lean-server.js';
export type {
  ConnectNodeHandler,
  LeanBidiHandler,
  LeanCallContext,
  LeanGrpcServerOptions,
  LeanServerTls,
  LeanUnaryHandler,
} from './lean-server.js';
export { createLeanClient } from './lean-client.js';
export type { LeanCallOptions, LeanClient, LeanClientOptions, LeanUnaryResponse } from './lean-client.js';
export { encodeFrame, FrameReader } from './lean-frame.js';
export type { LeanMessage } from './lean-frame.js';
export {
  decodeDataRequest,
  documentBytes,
  encodeDataRequest,
  joinDataRequest,
  splitDataRequest,
} from './lean-request.js';
export type { DataRequestParts } from './lean-request.js';
