// Entry of every child runtime process a Flow forks. Reads its role from WEFT_ROLE, serves it,
// and exits when the parent disconnects or asks it to stop.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as ExecutorRuntime from '@weft/executor-runtime';
import {
  type ChildMessage,
  type ExecutorRole,
  type GatewayRole,
  type HeadRole,
  ROLE_ENV,
  type Role,
  type RoleState,
  type RuntimeSecrets,
  type SecretsMessage,
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

// A killed parent closes the IPC channel: never outlive it.
process.on('disconnect', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
// Ctrl-C reaches the whole process group; the parent decides the order of shutdown (gateway first).
process.on('SIGINT', () => {});

// Each role loads only what it serves: an executor never loads the gateway (fastify, …), and the
// gateway never loads the executor runtime. This keeps start-up and restarts short.
let runtime: typeof ExecutorRuntime;
const loadGateway = () => import('@weft/gateway');

async function serveExecutorRole(role: ExecutorRole, uses: Function | string): Promise<void> {
  const options = {
    uses: uses as never,
    workspace: role.workspace,
    name: role.deployment,
    runtimeName: role.runtimeName,
    port: role.port,
    usesWith: role.usesWith,
    usesMetas: role.usesMetas as never,
    exitOnExceptions: role.exitOnExceptions,
    runtimeArgs: {
      replicas: role.replicas,
      replicaId: role.replica,
      shards: role.shards,
      shardId: role.shard,
      workspace: role.workspace,
    },
  };
  const worker = role.tls
    ? await runtime.serveExecutorTls({ ...options, tls: role.tls })
    : await runtime.serveExecutor(options);
  stop = () => worker.close();
  send({ type: 'ready', port: worker.port });
}

async function runExecutor(role: ExecutorRole): Promise<void> {
  runtime = await import('@weft/executor-runtime');
  const { isExecutorClass } = runtime;
  const state: RoleState = { role, claimed: false };
  state.serve = async (cls) => {
    state.claimed = true;
    await serveExecutorRole(role, cls);
  };
  state.fail = (err) => fail(err);
  setRoleState(state);
  // An executor YAML file: the runtime's loader reads it (jtype, with, metas, requests, batching).
  if (role.exportName === '') return serveExecutorRole(role, fileURLToPath(role.module));
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
    `cannot find Executor '${role.exportName}' in ${role.module}: it is not exported there, and no Flow or Deployment in that module ` +
      `started '${role.deployment}' before its top-level code finished. Export the class, or give uses as './file.ts#Name'. ` +
      `Executors exported there: ${executors.join(', ') || 'none'}`,
  );
}

// The gateway's options grow with other packages; pass every field through and let it check them.
type AnyStart = (options: Record<string, unknown>) => Promise<{ port: number; close(): Promise<void> }>;

async function runHead(role: HeadRole): Promise<void> {
  const gateway = await loadGateway();
  const startHead = (gateway as unknown as Record<string, AnyStart | undefined>).startHead;
  if (typeof startHead !== 'function') {
    throw new Error(
      `deployment '${role.deployment}' needs a head (shards, usesBefore or usesAfter), but this @weft/gateway has no startHead; upgrade @weft/gateway`,
    );
  }
  const head = await startHead({
    name: role.deployment,
    port: role.port,
    shards: role.shards,
    polling: role.polling,
    usesBefore: role.usesBefore,
    usesAfter: role.usesAfter,
    timeoutSend: role.timeoutSend,
    retries: role.retries,
    tls: role.tls,
  });
  stop = () => head.close();
  send({ type: 'ready', port: head.port });
}

/** Asks the parent for this runtime's secrets over IPC (they are never in the environment or argv). */
function requestSecrets(timeoutMs = 10_000): Promise<RuntimeSecrets> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error(`the parent did not send this runtime's secrets within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (m: SecretsMessage) => {
      if (m?.type !== 'secrets') return;
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve(m.secrets);
    };
    process.on('message', onMessage);
    send({ type: 'secrets-request' });
  });
}

async function runGateway(role: GatewayRole): Promise<void> {
  const secrets = role.auth ? await requestSecrets() : {};
  const start = (await loadGateway()).startGateway as unknown as AnyStart;
  const { bodyLimit, ...limits } = role.limits ?? {};
  const gw = await start({
    graph: role.graph,
    addresses: role.addresses,
    conditions: role.conditions,
    noReduce: role.noReduce,
    deployments: role.deployments,
    protocol: role.protocols.length === 1 ? role.protocols[0] : role.protocols,
    port: role.ports.length === 1 ? role.ports[0] : role.ports,
    host: role.host,
    tls: role.tls,
    cors: role.cors,
    prefetch: role.prefetch,
    monitoring: role.monitoring,
    auth: role.auth ? { tokens: secrets.tokens ?? [], publicHealth: role.auth.publicHealth } : undefined,
    limits,
    bodyLimit,
    internalTls: role.internalTls,
    // Local replicas come back within about a second of a crash (the orchestrator restarts them on
    // the same port): probe an ejected replica at least every second so that it rejoins promptly.
    pool: { timeoutSend: role.timeoutSend, probeBackoffMs: [100, 1000] },
  });
  stop = () => gw.close();
  send({ type: 'ready', port: gw.port });
}

function readRole(): Role {
  const raw = process.env[ROLE_ENV];
  if (!raw) throw new Error(`${ROLE_ENV} is not set: this file is started by a Weft Flow, not by hand`);
  return JSON.parse(raw.startsWith('@') ? readFileSync(raw.slice(1), 'utf8') : raw) as Role;
}

try {
  const role = readRole();
  const run =
    role.kind === 'gateway' ? runGateway(role) : role.kind === 'head' ? runHead(role) : runExecutor(role);
  run.catch(fail);
} catch (err) {
  fail(err);
}
