/**
 * Weft's public API in one import: documents, executors, flows and the client.
 * @packageDocumentation
 */
export * from '@weft/docarray';
export * from '@weft/executor-runtime';
export * from '@weft/orchestrator';
export * from '@weft/client';
export { startGateway } from '@weft/gateway';
export type { Gateway, GatewayOptions } from '@weft/gateway';
