/**
 * The entrypoint of a Weft Flow: doors over one request pipeline that routes through the Flow's DAG.
 * @packageDocumentation
 */
export { startGateway } from './gateway.js';
export type { Gateway, GatewayOptions } from './gateway.js';
export { END, GraphError, START, parseGraph } from './graph.js';
export type { GraphDescription, GraphNode } from './graph.js';
export { DeploymentPool } from './pool.js';
export type { PoolOptions } from './pool.js';
export { reduceDocs, reduceRequests } from './reduce.js';
export { Topology } from './topology.js';
export type { TopologyOptions } from './topology.js';
