import { existsSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@weft/core';
import type { Deployment } from '../deployment.js';
import { Flow } from '../flow.js';
import {
  checkExternalTls,
  type FlowOptions,
  type GatewayProtocol,
  GATEWAY_LIMIT_FLAGS,
  LIMIT_KEYS,
  type NormalizedDeployment,
} from '../options.js';
import { externalAddresses } from '../plan.js';
import { graphDescription, validateTopology } from '../topology.js';
import { resolveUses, type Uses } from '../uses.js';

/** Options shared by the Kubernetes and Docker Compose exports. */
export interface ExportOptions {
  /** Container image that runs the `weft` CLI and holds the user's executors. @default 'weft:latest' */
  image?: string;
  /** Folder of the project inside the image; `uses` paths are rewritten relative to it. @default '/app' */
  workdir?: string;
  /** The project folder the image holds at `workdir`. @default the nearest folder with a package.json above the Flow's base folder */
  projectDir?: string;
  /** `WEFT_LOG_LEVEL` of every runtime. @default 'info' */
  logLevel?: string;
}

/** @internal What the exporters need of a Flow or Deployment. */
export interface ExportSpec {
  options: FlowOptions;
  deployments: readonly NormalizedDeployment[];
  baseDir: string;
  creator?: string;
}

/** @internal */
export function exportSpec(x: Flow | Deployment): ExportSpec {
  if (x instanceof Flow) {
    validateTopology(x.spec.deployments);
    checkExternalTls(x.spec.options, x.spec.deployments);
    return x.spec;
  }
  // A Deployment exports as a Flow of one deployment.
  const d = x.spec;
  const { baseDir, creator, protocol } = x.context;
  const { auth, limits, internalTls } = x.runOptions;
  return {
    options: { protocol, auth, limits, internalTls },
    deployments: [{ ...d, needs: ['gateway'], port: undefined }],
    baseDir,
    creator,
  };
}

/** @internal The `--uses` argument inside the image: relative to the project folder, under `workdir`. */
export function containerUses(uses: Uses, spec: ExportSpec, options: ExportOptions, where: string): string {
  const workdir = options.workdir ?? '/app';
  const { module, exportName } = resolveUses(uses, spec.baseDir, spec.creator);
  if (!module.startsWith('file:')) return `${module}#${exportName}`;
  const project = options.projectDir ?? projectOf(spec.baseDir);
  const rel = relative(project, fileURLToPath(module)).split(sep).join('/');
  if (rel.startsWith('..')) {
    throw new ConfigError(
      `${where}: uses ${module} lies outside the project folder ${project}; move the executor into the project so the image holds it, or set projectDir`,
    );
  }
  return `${posix.join(workdir, rel)}#${exportName}`;
}

/** The nearest folder with a package.json at or above `dir`, else `dir`. */
function projectOf(dir: string): string {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) return resolve(dir);
  }
}

/** @internal A DNS-1123 label for a deployment name (`My_Enc` → `my-enc`). */
export function dnsName(name: string): string {
  const n = name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '');
  if (!n)
    throw new ConfigError(
      `deployment name '${name}' has no letters or digits to form a Kubernetes/Compose name`,
    );
  return n;
}

/** @internal Where the exports mount each secret file inside the containers. */
export interface SecretPaths {
  /** Internal TLS certificate, key and CA. */
  internalTls?: { cert: string; key: string; ca?: string };
  /** The gateway's door TLS certificate, key and client CA. */
  gatewayTls?: { cert: string; key: string; ca?: string };
  /** The gateway's tokens file. */
  tokens?: string;
}

/** @internal The secret files of a Flow on this machine, and the inline tokens. */
export interface SecretSources {
  internalTls?: { cert: string; key: string; ca?: string };
  gatewayTls?: { cert: string; key: string; ca?: string };
  tokensFile?: string;
  tokens?: readonly string[];
}

/** @internal What of a Flow must travel as secrets: certificates, keys and tokens (file paths). */
export function secretSources(spec: ExportSpec): SecretSources {
  const o = spec.options;
  const files = (t: { certFile: string; keyFile: string; caFile?: string }) => ({
    cert: resolve(t.certFile),
    key: resolve(t.keyFile),
    ...(t.caFile ? { ca: resolve(t.caFile) } : {}),
  });
  return {
    ...(o.internalTls ? { internalTls: files(o.internalTls) } : {}),
    ...(o.tls ? { gatewayTls: files(o.tls) } : {}),
    ...(o.auth?.tokensFile ? { tokensFile: resolve(o.auth.tokensFile) } : {}),
    ...(o.auth?.tokens?.length ? { tokens: o.auth.tokens } : {}),
  };
}

/** @internal `--ssl-*` arguments of an executor or head with internal TLS. */
export function internalTlsArgs(paths: SecretPaths): string[] {
  const t = paths.internalTls;
  if (!t) return [];
  return ['--ssl-certfile', t.cert, '--ssl-keyfile', t.key, ...(t.ca ? ['--ssl-cafile', t.ca] : [])];
}

/** @internal The `weft ping` command of a probe, with TLS, a client certificate or a token as needed. */
export function pingCommand(
  kind: 'executor' | 'gateway',
  port: number,
  spec: ExportSpec,
  paths: SecretPaths,
): string[] {
  const tls = kind === 'executor' ? paths.internalTls : paths.gatewayTls;
  const cmd = ['weft', 'ping', kind, `${tls ? 'grpcs://' : ''}127.0.0.1:${port}`, '--timeout', '2000'];
  if (kind === 'executor' && tls?.ca) cmd.push('--ssl-certfile', tls.cert, '--ssl-keyfile', tls.key);
  if (kind === 'gateway' && spec.options.auth?.publicHealth === false && paths.tokens)
    cmd.push('--auth-tokens-file', paths.tokens);
  return cmd;
}

/**
 * @internal Checks what the exports cannot carry: a gateway whose health checks need a client
 * certificate, or a token on a door the probes cannot send one to.
 */
export function checkExportable(spec: ExportSpec): void {
  const o = spec.options;
  if (o.auth?.publicHealth === false) {
    if (o.tls?.caFile)
      throw new ConfigError(
        'export: with tls.caFile (mutual TLS at the doors) and auth.publicHealth false, the probes (weft ping) would need a client certificate of your clients’ CA; keep publicHealth',
      );
    if (!gatewayPorts(o).some((d) => d.protocol === 'grpc'))
      throw new ConfigError(
        'export: auth.publicHealth false needs a gRPC door for the probes (weft ping sends the token); add grpc to the protocols or keep publicHealth',
      );
  }
}

/** @internal Arguments of `weft executor` for one runtime. */
export function executorArgs(
  d: NormalizedDeployment,
  uses: string,
  port: number,
  shard: number,
  extra: { runtimeName?: string; replicaId?: number; paths?: SecretPaths } = {},
): string[] {
  const args = ['executor', '--uses', uses, '--name', d.name, '--host', '0.0.0.0', '--port', String(port)];
  if (extra.runtimeName) args.push('--runtime-name', extra.runtimeName);
  if (d.replicas > 1) args.push('--replicas', String(d.replicas));
  if (extra.replicaId !== undefined && d.replicas > 1) args.push('--replica-id', String(extra.replicaId));
  if (d.shards > 1) args.push('--shards', String(d.shards), '--shard-id', String(shard));
  if (d.usesWith && Object.keys(d.usesWith).length) args.push('--uses-with', JSON.stringify(d.usesWith));
  if (d.usesMetas && Object.keys(d.usesMetas).length) args.push('--uses-metas', JSON.stringify(d.usesMetas));
  if (d.workspace) args.push('--workspace', d.workspace);
  if (d.exitOnExceptions?.length) args.push('--exit-on-exceptions', ...d.exitOnExceptions);
  args.push(...internalTlsArgs(extra.paths ?? {}));
  return args;
}

/** @internal Arguments of `weft head` for a sharded deployment. */
export function headArgs(
  d: NormalizedDeployment,
  port: number,
  shards: string[][],
  usesBefore?: string,
  usesAfter?: string,
  paths: SecretPaths = {},
): string[] {
  const args = ['head', '--name', d.name, '--host', '0.0.0.0', '--port', String(port)];
  args.push('--shards', JSON.stringify(shards));
  args.push('--polling', typeof d.polling === 'string' ? d.polling : JSON.stringify(d.polling));
  if (usesBefore) args.push('--uses-before', usesBefore);
  if (usesAfter) args.push('--uses-after', usesAfter);
  if (d.timeoutSend) args.push('--timeout-send', String(d.timeoutSend));
  if (d.retries) args.push('--retries', String(d.retries));
  args.push(...internalTlsArgs(paths));
  return args;
}

/** @internal Gateway protocols and the container ports they get (8080, 8081, …). */
export function gatewayPorts(options: FlowOptions): { protocol: GatewayProtocol; port: number }[] {
  const protocols: GatewayProtocol[] =
    options.protocol === undefined
      ? ['grpc']
      : typeof options.protocol === 'string'
        ? [options.protocol]
        : [...options.protocol];
  return protocols.map((protocol, i) => ({ protocol, port: 8080 + i }));
}

/** @internal A deployment address for the gateway: `grpcs://` when the Flow has internal TLS. */
export function deploymentAddress(spec: ExportSpec, hostPort: string): string {
  return `${spec.options.internalTls ? 'grpcs' : 'grpc'}://${hostPort}`;
}

/** @internal Arguments of `weft gateway`, Jina's flag names. */
export function gatewayArgs(
  spec: ExportSpec,
  addresses: Record<string, string[]>,
  paths: SecretPaths = {},
): string[] {
  const doors = gatewayPorts(spec.options);
  const args = ['gateway', '--host', '0.0.0.0'];
  args.push('--protocol', ...doors.map((d) => d.protocol), '--port', ...doors.map((d) => String(d.port)));
  args.push('--graph-description', JSON.stringify(graphDescription(spec.deployments)));
  args.push('--deployments-addresses', JSON.stringify(addresses));
  const conditions = Object.fromEntries(spec.deployments.filter((d) => d.when).map((d) => [d.name, d.when]));
  if (Object.keys(conditions).length) args.push('--graph-conditions', JSON.stringify(conditions));
  const noReduce = spec.deployments.filter((d) => d.noReduce).map((d) => d.name);
  if (noReduce.length) args.push('--deployments-no-reduce', JSON.stringify(noReduce));
  const timeouts = Object.fromEntries(
    spec.deployments
      .filter((d) => (d.timeoutSend ?? spec.options.timeoutSend) !== undefined)
      .map((d) => [d.name, d.timeoutSend ?? spec.options.timeoutSend]),
  );
  if (Object.keys(timeouts).length) args.push('--deployments-timeout-send', JSON.stringify(timeouts));
  // The gateway takes one retry count for all deployments: the largest asked for.
  const retries = spec.deployments.map((d) => d.retries).filter((r): r is number => r !== undefined);
  if (retries.length) args.push('--retries', String(Math.max(...retries)));
  if (spec.options.prefetch !== undefined) args.push('--prefetch', String(spec.options.prefetch));
  if (spec.options.cors) args.push('--cors');
  const door = paths.gatewayTls;
  if (door) {
    args.push('--ssl-certfile', door.cert, '--ssl-keyfile', door.key);
    if (door.ca) args.push('--ssl-cafile', door.ca);
  }
  if (paths.tokens) args.push('--auth-tokens-file', paths.tokens);
  if (spec.options.auth?.publicHealth === false) args.push('--no-public-health');
  for (const k of LIMIT_KEYS) {
    const v = spec.options.limits?.[k];
    if (v !== undefined) args.push(GATEWAY_LIMIT_FLAGS[k], String(v));
  }
  const internal = paths.internalTls;
  if (internal?.ca)
    args.push(
      '--deployments-ssl-cafile',
      internal.ca,
      '--deployments-ssl-certfile',
      internal.cert,
      '--deployments-ssl-keyfile',
      internal.key,
    );
  return args;
}

/** @internal Addresses of an external deployment, as given (`grpcs://` when it speaks TLS). */
export function externalOf(d: NormalizedDeployment): string[] {
  return externalAddresses(d).map((a) => (d.tls ? `grpcs://${a}` : a));
}

/** @internal Environment of a deployment's runtimes. */
export function runtimeEnv(
  spec: ExportSpec,
  d: NormalizedDeployment | undefined,
  options: ExportOptions,
): Record<string, string> {
  return { WEFT_LOG_LEVEL: options.logLevel ?? 'info', ...spec.options.env, ...d?.env };
}
