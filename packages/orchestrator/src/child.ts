// Entry of every child runtime process a Flow forks. Reads its role from WEFT_ROLE, serves it,
// and exits when the parent disconnects or asks it to stop.
import { isExecutorClass, serveExecutor } from '@weft/executor-runtime';
import { startGateway } from '@weft/gateway';
import {
  type ChildMessage,
  type ExecutorRole,
  type GatewayRole,
  ROLE_ENV,
  type RoleState,
  setRoleState,
} from './role.js';

let stop: (() => Promise<void>) | undefined;
let stopping = false;

function send(msg: ChildMessage): void {
  if (process.connected) process.send?.(msg);
}

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    const force = setTimeout(() => process.exit(code), 8000);
    force.unref();
    try {
      await stop?.();
    } catch (err) {
      console.error(err);
    }
  }
  process.exit(code);
}

function fail(err: unknown): never {
  const e = err instanceof Error ? err : new Error(String(err));
  console.error(e.stack ?? e.message);
  send({ type: 'failed', message: `${e.name}: ${e.message}`, stack: e.stack });
  process.exit(1);
}

process.on('disconnect', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));

async function serveExecutorRole(role: ExecutorRole, cls: Function): Promise<void> {
  const worker = await serveExecutor({
    uses: cls as never,
    name: role.deployment,
    runtimeName: role.runtimeName,
    port: role.port,
    usesWith: role.usesWith,
    usesMetas: role.usesMetas as never,
    runtimeArgs: { replicas: role.replicas, replicaId: role.replica, workspace: role.workspace },
  });
  stop = () => worker.close();
  send({ type: 'ready', port: worker.port });
}

async function runExecutor(role: ExecutorRole): Promise<void> {
  const state: RoleState = { role, claimed: false };
  state.serve = async (cls) => {
    state.claimed = true;
    await serveExecutorRole(role, cls);
  };
  setRoleState(state);
  const mod = (await import(role.module)) as Record<string, unknown>;
  if (state.claimed) return;
  const cls = mod[role.exportName];
  if (isExecutorClass(cls)) {
    await state.serve(cls);
    return;
  }
  const executors = Object.entries(mod)
    .filter(([, v]) => isExecutorClass(v))
    .map(([k]) => k);
  throw new Error(
    `cannot find Executor '${role.exportName}' in ${role.module}: it is not exported there, and no Flow in that module ` +
      `started this deployment. Export the class, or give uses as './file.ts#Name'. Executors exported there: ${executors.join(', ') || 'none'}`,
  );
}

async function runGateway(role: GatewayRole): Promise<void> {
  const gw = await startGateway({
    port: role.port,
    graph: role.graph,
    addresses: role.addresses,
    prefetch: role.prefetch,
    pool: { timeoutSend: role.timeoutSend, retries: role.retries },
  });
  stop = () => gw.close();
  send({ type: 'ready', port: gw.port });
}

const raw = process.env[ROLE_ENV];
if (!raw) fail(new Error(`${ROLE_ENV} is not set: this file is started by a Weft Flow, not by hand`));
const role = JSON.parse(raw!) as ExecutorRole | GatewayRole;
(role.kind === 'gateway' ? runGateway(role) : runExecutor(role)).catch(fail);
