/**
 * Test utilities of Weft's reliability suite.
 * @packageDocumentation
 */
export { FaultProxy } from './fault-proxy.js';
export type { FaultSettings, FaultStats } from './fault-proxy.js';
