import type { JsonObject } from '@bufbuild/protobuf';
import type { FlowLimits, GatewayProtocol, Polling, TlsFiles } from './options.js';

/** Environment variable that carries a child runtime's role, as JSON. */
export const ROLE_ENV = 'WEFT_ROLE';

/** What an executor child serves. */
export interface ExecutorRole {
  kind: 'executor';
  /** Deployment name. */
  deployment: string;
  /** Runtime name, e.g. `executor0/rep-1` or `executor0/shard-1/rep-0`. */
  runtimeName: string;
  replica: number;
  replicas: number;
  shard: number;
  shards: number;
  port: number;
  /** File URL (or bare package specifier) of the module defining the executor. */
  module: string;
  /** Export name of the executor class in `module`. */
  exportName: string;
  usesWith?: Record<string, unknown>;
  usesMetas?: Record<string, unknown>;
  workspace?: string;
  exitOnExceptions?: readonly string[];
  /** Internal TLS: serve over TLS (mutual with `caFile`). */
  tls?: TlsFiles;
}

/** What a head child serves: the entry of a sharded deployment. */
export interface HeadRole {
  kind: 'head';
  deployment: string;
  runtimeName: string;
  port: number;
  /** Replica addresses of each shard. */
  shards: string[][];
  polling: Polling;
  usesBefore?: string[];
  usesAfter?: string[];
  timeoutSend?: number;
  retries?: number;
  /** Internal TLS: serve over TLS and call the shards over TLS (mutual with `caFile`). */
  tls?: TlsFiles;
}

/** What a gateway child serves. */
export interface GatewayRole {
  kind: 'gateway';
  runtimeName: 'gateway';
  /** The port of the first door (gRPC when it is served). */
  port: number;
  protocols: GatewayProtocol[];
  ports: number[];
  host?: string;
  graph: Record<string, string[]>;
  addresses: Record<string, string[]>;
  conditions: Record<string, JsonObject>;
  noReduce: string[];
  deployments: Record<string, { timeoutSend?: number; retries?: number; tls?: boolean }>;
  timeoutSend?: number;
  prefetch?: number;
  cors?: boolean;
  tls?: TlsFiles;
  monitoring?: { port: number };
  /** TLS towards the deployments. */
  internalTls?: TlsFiles;
  /** Bearer-token authentication; the tokens themselves come over IPC ({@link SecretsMessage}), never in the role. */
  auth?: { publicHealth?: boolean };
  limits?: FlowLimits;
}

/** Any runtime role. */
export type Role = ExecutorRole | HeadRole | GatewayRole;

const ROLE_STATE = Symbol.for('weft.role-state');

/** @internal State shared between the child entry and `Flow.start()` in the same process. */
export interface RoleState {
  role: ExecutorRole;
  /** Set once something (an export or a Flow) serves the role. */
  claimed: boolean;
  /** Called by whoever claims the role with the executor class to serve. */
  serve?: (cls: Function) => Promise<void>;
  /** Called when the role cannot be served from here. */
  fail?: (err: Error) => void;
}

/** The role of this process, when it is a child executor runtime started by a Flow. */
export function roleState(): RoleState | undefined {
  return (globalThis as Record<symbol, RoleState | undefined>)[ROLE_STATE];
}

/** @internal */
export function setRoleState(state: RoleState): void {
  (globalThis as Record<symbol, RoleState>)[ROLE_STATE] = state;
}

/** Messages a child sends its parent over IPC. */
export type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'failed'; message: string; stack?: string }
  /** Asks for the role's secrets (sent once the child listens for the answer, so that none is lost). */
  | { type: 'secrets-request' };

/** Secrets a runtime needs, sent by the parent over IPC only: never in the environment, argv or logs. */
export interface RuntimeSecrets {
  /** The gateway's bearer tokens. */
  tokens?: readonly string[];
}

/** The parent's answer to `secrets-request`. */
export interface SecretsMessage {
  type: 'secrets';
  secrets: RuntimeSecrets;
}
