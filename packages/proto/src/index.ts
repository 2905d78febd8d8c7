/**
 * Generated protobuf messages and gRPC service descriptors of the Jina 3 / DocArray v1 wire format.
 *
 * Everything here is written by `buf generate` from `proto/*.proto`; see `docs/protocol.md`.
 * @packageDocumentation
 */
export * from './gen/docarray_pb.js';
export * from './gen/jina_pb.js';
export * from './gen/grpc/health/v1/health_pb.js';
