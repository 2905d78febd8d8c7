import type { NormalizedDeployment, TlsFiles } from './options.js';
import { freePort } from './ports.js';
import type { ExecutorRole, HeadRole } from './role.js';
import { RuntimeProcess, type RuntimeProcessOptions } from './runtime-process.js';
import { resolveUses, type Uses } from './uses.js';

/** Where relative `uses` resolve and which module defined inline classes. */
export interface PlanContext {
  baseDir: string;
  creator: string | undefined;
  process: RuntimeProcessOptions;
  /** Internal TLS of every executor and head. @default plaintext */
  tls?: TlsFiles;
}

/** What a Flow or a standalone Deployment says about the processes it starts. */
export interface ProcessSettings {
  internalTls?: TlsFiles;
  env?: RuntimeProcessOptions['env'];
  log?: RuntimeProcessOptions['log'];
  restart?: boolean;
  timeoutReady?: number;
}

/** The {@link PlanContext} of a Flow's or a standalone Deployment's options. */
export function planContext(
  options: ProcessSettings,
  baseDir: string,
  creator: string | undefined,
): PlanContext {
  return {
    baseDir,
    creator,
    tls: options.internalTls,
    process: {
      env: options.env,
      log: options.log,
      restart: options.restart ?? true,
      timeoutReady: options.timeoutReady ?? 60_000,
    },
  };
}

/** The processes of one deployment and the address(es) its upstream calls. */
export interface DeploymentPlan {
  /** Executor processes (replicas of every shard, uses-before/after). */
  workers: RuntimeProcess[];
  /** The head, when the deployment has one. */
  head?: RuntimeProcess;
  /** What the gateway (or a client) calls: the head, or every replica. */
  addresses: string[];
}

const isTs = (module: string) => module.startsWith('file:') && /\.[cm]?tsx?$/.test(new URL(module).pathname);
// Executor YAML files name their module themselves; the runtime's loader registers tsx when needed.

/** Runtime name of a replica: `name/rep-r`, or `name/shard-s/rep-r` when sharded. */
export function replicaName(name: string, shards: number, shard: number, replica: number): string {
  return shards > 1 ? `${name}/shard-${shard}/rep-${replica}` : `${name}/rep-${replica}`;
}

/** External deployment addresses: hosts × ports paired up, one address per replica. */
export function externalAddresses(d: NormalizedDeployment): string[] {
  const hosts = (typeof d.host === 'string' ? d.host.split(',') : [...(d.host ?? ['127.0.0.1'])]).map((h) =>
    h.trim().replace(/^[a-z]+:\/\//, ''),
  );
  const ports = typeof d.port === 'number' ? [d.port] : [...(d.port ?? [])];
  const n = Math.max(hosts.length, ports.length);
  return Array.from({ length: n }, (_, i) => {
    const h = hosts[Math.min(i, hosts.length - 1)]!;
    // A host given as host:port keeps its own port.
    return /:\d+$/.test(h) ? h : `${h}:${ports[Math.min(i, ports.length - 1)]}`;
  });
}

/** Chooses ports and builds (but does not start) every process of a deployment. */
export async function planDeployment(d: NormalizedDeployment, ctx: PlanContext): Promise<DeploymentPlan> {
  if (d.external) return { workers: [], addresses: externalAddresses(d) };
  const ports = typeof d.port === 'number' ? [d.port] : [...(d.port ?? [])];
  const env = { ...ctx.process.env, ...d.env };
  const options: RuntimeProcessOptions = {
    ...ctx.process,
    env,
    timeoutReady: d.timeoutReady ?? ctx.process.timeoutReady,
  };
  const workers: RuntimeProcess[] = [];
  const executor = async (
    uses: Uses,
    runtimeName: string,
    shard: number,
    replica: number,
    port?: number,
  ): Promise<string> => {
    const spec = resolveUses(uses, ctx.baseDir, ctx.creator);
    const role: ExecutorRole = {
      kind: 'executor',
      deployment: d.name,
      runtimeName,
      replica,
      replicas: d.replicas,
      shard,
      shards: d.shards,
      port: port ?? (await freePort()),
      module: spec.module,
      exportName: spec.exportName,
      usesWith: d.usesWith,
      usesMetas: d.usesMetas,
      workspace: d.workspace,
      exitOnExceptions: d.exitOnExceptions,
      tls: ctx.tls,
    };
    workers.push(new RuntimeProcess(runtimeName, role, { ...options, needsTsx: isTs(spec.module) }));
    return `127.0.0.1:${role.port}`;
  };
  if (!d.head) {
    const addresses: string[] = [];
    for (let r = 0; r < d.replicas; r++)
      addresses.push(await executor(d.uses!, replicaName(d.name, 1, 0, r), 0, r, ports[r]));
    return { workers, addresses };
  }
  const shards: string[][] = [];
  for (let s = 0; s < d.shards; s++) {
    const list: string[] = [];
    for (let r = 0; r < d.replicas; r++)
      list.push(await executor(d.uses!, replicaName(d.name, d.shards, s, r), s, r));
    shards.push(list);
  }
  const usesBefore = d.usesBefore ? [await executor(d.usesBefore, `${d.name}/uses-before`, 0, 0)] : undefined;
  const usesAfter = d.usesAfter ? [await executor(d.usesAfter, `${d.name}/uses-after`, 0, 0)] : undefined;
  const role: HeadRole = {
    kind: 'head',
    deployment: d.name,
    runtimeName: `${d.name}/head`,
    port: ports[0] ?? (await freePort()),
    shards,
    polling: d.polling,
    usesBefore,
    usesAfter,
    timeoutSend: d.timeoutSend,
    retries: d.retries,
    tls: ctx.tls,
  };
  const head = new RuntimeProcess(role.runtimeName, role, options);
  return { workers, head, addresses: [`127.0.0.1:${role.port}`] };
}
