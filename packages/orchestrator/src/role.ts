/** Environment variable that carries a child runtime's role, as JSON. */
export const ROLE_ENV = 'WEFT_ROLE';

/** What an executor child serves. */
export interface ExecutorRole {
  kind: 'executor';
  /** Deployment name. */
  deployment: string;
  /** Runtime name, e.g. `executor0/rep-1`. */
  runtimeName: string;
  replica: number;
  replicas: number;
  port: number;
  /** File URL of the module defining the executor. */
  module: string;
  /** Export name of the executor class in `module`. */
  exportName: string;
  usesWith?: Record<string, unknown>;
  usesMetas?: Record<string, unknown>;
  workspace?: string;
}

/** What a gateway child serves. */
export interface GatewayRole {
  kind: 'gateway';
  port: number;
  graph: Record<string, string[]>;
  addresses: Record<string, string[]>;
  timeoutSend?: number;
  retries?: number;
  prefetch?: number;
}

export type Role = ExecutorRole | GatewayRole;

const ROLE_STATE = Symbol.for('weft.role-state');

/** @internal State shared between the child entry and `Flow.start()` in the same process. */
export interface RoleState {
  role: Role;
  /** Set once something (an export or a Flow) serves the role. */
  claimed: boolean;
  /** Called by whoever claims the role with a function that serves it. */
  serve?: (cls: Function) => Promise<void>;
}

/** The role of this process, when it is a child runtime started by a Flow. */
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
  | { type: 'failed'; message: string; stack?: string };
