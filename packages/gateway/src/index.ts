/**
 * The entrypoint of a Weft Flow: doors over one request pipeline that routes through the Flow's DAG.
 * @packageDocumentation
 */
export { startGateway } from './gateway.js';
export type { Gateway, GatewayOptions, GatewayProtocol } from './gateway.js';
export { startHead } from './head.js';
export type { Head, HeadOptions, Polling } from './head.js';
export { END, GraphError, START, parseGraph } from './graph.js';
export type { GraphDescription, GraphNode } from './graph.js';
export { DeploymentPool } from './pool.js';
export type { CallObserver, PoolOptions, PoolTls, SendOptions } from './pool.js';
export { reduceDocs, reduceRequests } from './reduce.js';
export { Topology } from './topology.js';
export type { DeploymentOptions, TopologyOptions } from './topology.js';
export { WS_CLOSE } from './ws-close.js';
export { DEFAULT_LIMITS, OverloadedError } from './limits.js';
export type { GatewayLimits } from './limits.js';
export type { AccessDoor, GatewayAuth } from './access.js';
export type { InternalTls } from './internal-tls.js';
