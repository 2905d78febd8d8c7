import type { JsonObject } from '@bufbuild/protobuf';
import { ConfigError } from '@weft/core';
import type { Uses } from './uses.js';

/** How a sharded deployment spreads a request: one shard (`ANY`) or every shard (`ALL`). */
export type PollingMode = 'ANY' | 'ALL';

/** Polling for every endpoint, or per endpoint (`{ '/search': 'ALL', '*': 'ANY' }`). */
export type Polling = PollingMode | Readonly<Record<string, PollingMode>>;

/** A protocol the gateway serves. */
export type GatewayProtocol = 'grpc' | 'http' | 'websocket';

/** TLS certificate and key files (PEM). */
export interface TlsFiles {
  /** Path of the certificate chain (PEM). */
  certFile: string;
  /** Path of the private key (PEM). */
  keyFile: string;
}

/** Options of one deployment: {@link Flow.add}, {@link Deployment} and YAML `executors:` entries. */
export interface DeploymentOptions {
  /**
   * The Executor: a class, a module specifier `./file.ts#ExportName`, or an executor YAML file
   * (`./encoder.yml`). Ignored when `external` is true.
   */
  uses?: Uses;
  /** Deployment name. @default `executor<i>` (its index in the Flow) */
  name?: string;
  /** Replica processes per shard. @default 1 */
  replicas?: number;
  /** Shards; more than one puts a head in front of them. @default 1 */
  shards?: number;
  /** How the head spreads a request over shards. @default 'ANY' */
  polling?: Polling;
  /** Upstream deployments: a name, `'gateway'`, or a list (a join). @default the previous non-floating deployment */
  needs?: string | readonly string[];
  /** A filter query: documents that do not match are not sent here and leave this branch. */
  when?: JsonObject;
  /** The response does not wait for this deployment; `close()` waits for its work. @default false */
  floating?: boolean;
  /** At a join, hand the executor every part (`docsMatrix`/`docsMap`) instead of reducing them. @default false */
  noReduce?: boolean;
  /** Arguments for the executor's constructor (`uses_with`). @default {} */
  usesWith?: Record<string, unknown>;
  /** Metas of the executor (`uses_metas`). @default {} */
  usesMetas?: Record<string, unknown>;
  /** An Executor run by the head before fan-out to shards. */
  usesBefore?: Uses;
  /** An Executor run by the head after gathering shards; replaces the built-in reduce. */
  usesAfter?: Uses;
  /** Deadline of each gateway → deployment call in ms. @default no deadline */
  timeoutSend?: number;
  /** How long each runtime of this deployment may take to become ready, in ms. @default the Flow's timeoutReady */
  timeoutReady?: number;
  /** Attempts across replicas for connection failures. @default max(3, replicas) */
  retries?: number;
  /** Extra environment variables of this deployment's processes. @default {} */
  env?: Readonly<Record<string, string>>;
  /** Workspace root: each shard works in `<workspace>/<name>/<shard>/`. @default none */
  workspace?: string;
  /** An executor that runs elsewhere: Weft uses `host`/`port` as they are and starts no process. @default false */
  external?: boolean;
  /** Host of an external deployment; a list (or comma-separated) for replicas. @default '127.0.0.1' */
  host?: string | readonly string[];
  /** Port of the deployment (a list for replicas without a head, or for external replicas). @default free ports */
  port?: number | readonly number[];
  /** Use TLS towards an external deployment. @default false */
  tls?: boolean;
  /** Error class names that make a replica exit after answering; the orchestrator restarts it. @default [] */
  exitOnExceptions?: readonly string[];
}

/** Options of a {@link Flow}'s gateway and supervision. */
export interface FlowOptions {
  /** Gateway protocol(s); each gets its own port. @default 'grpc' */
  protocol?: GatewayProtocol | readonly GatewayProtocol[];
  /** Gateway port(s), one per protocol in order. @default free ports */
  port?: number | readonly number[];
  /** Interface the gateway binds. @default '127.0.0.1' */
  host?: string;
  /** Serve the gateway's doors over TLS. @default plaintext */
  tls?: TlsFiles;
  /** Allow cross-origin requests on the HTTP door. @default false */
  cors?: boolean;
  /** Most requests in flight per client stream. @default 1000 */
  prefetch?: number;
  /** Serve Prometheus metrics of the gateway on this port. @default off */
  monitoring?: { port: number };
  /** How long each runtime may take to become ready, in ms. @default 60000 */
  timeoutReady?: number;
  /** Default deadline of gateway → deployment calls in ms. @default no deadline */
  timeoutSend?: number;
  /** How long `close()` waits for a runtime after SIGTERM before SIGKILL, in ms. @default 10000 */
  gracePeriod?: number;
  /** Restart replicas that crash after start, with backoff. @default true */
  restart?: boolean;
  /** Folder that relative `uses` specifiers resolve against. @default the folder of the module creating the Flow */
  baseDir?: string;
  /** Extra environment variables of every runtime process. @default {} */
  env?: Readonly<Record<string, string>>;
  /** Where runtime log lines go, prefixed with the runtime name. @default process.stderr */
  log?: (line: string) => void;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** @internal A deployment after defaults and validation. */
export interface NormalizedDeployment extends DeploymentOptions {
  name: string;
  replicas: number;
  shards: number;
  polling: Polling;
  needs: readonly string[];
  floating: boolean;
  noReduce: boolean;
  external: boolean;
  /** Whether a head process fronts the shards. */
  head: boolean;
}

function positiveInt(where: string, key: string, v: unknown, min = 1): void {
  if (v !== undefined && (!Number.isInteger(v) || (v as number) < min)) {
    throw new ConfigError(`${where}: ${key} must be a whole number ≥ ${min}, got ${JSON.stringify(v)}`);
  }
}

/** Checks a port or port list; returns it as a list. */
export function portList(where: string, port: number | readonly number[] | undefined): number[] {
  if (port === undefined) return [];
  const list = typeof port === 'number' ? [port] : [...port];
  for (const p of list) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) {
      throw new ConfigError(
        `${where}: port ${JSON.stringify(p)} is not valid; use 1–65535, or omit it to pick a free port`,
      );
    }
  }
  return list;
}

function checkPolling(where: string, polling: unknown): void {
  const ok = (m: unknown) => m === 'ANY' || m === 'ALL';
  if (polling === undefined || ok(polling)) return;
  if (typeof polling === 'object' && polling && Object.values(polling).every(ok)) return;
  throw new ConfigError(
    `${where}: polling must be 'ANY', 'ALL' or a map of endpoint → 'ANY'|'ALL' (e.g. {'/search': 'ALL', '*': 'ANY'}), got ${JSON.stringify(polling)}`,
  );
}

/** @internal Validates one deployment's options and fills in defaults (not `needs`, which depends on the Flow). */
export function normalizeDeployment(
  options: DeploymentOptions,
  name: string,
  needs: readonly string[],
): NormalizedDeployment {
  const where = `deployment '${name}'`;
  if (!NAME.test(name) || name === 'gateway' || name.endsWith('-gateway')) {
    throw new ConfigError(
      `${where}: the name must be letters, digits, '_', '.', '-' (starting with a letter or digit) and not 'gateway'`,
    );
  }
  positiveInt(where, 'replicas', options.replicas);
  positiveInt(where, 'shards', options.shards);
  positiveInt(where, 'timeoutSend', options.timeoutSend);
  positiveInt(where, 'timeoutReady', options.timeoutReady);
  positiveInt(where, 'retries', options.retries);
  checkPolling(where, options.polling);
  const ports = portList(where, options.port);
  const external = options.external ?? false;
  const shards = options.shards ?? 1;
  const replicas = options.replicas ?? 1;
  if (!external && options.uses === undefined) {
    throw new ConfigError(
      `${where}: uses is missing; give an Executor class, './file.ts#Name', or external: true with host and port`,
    );
  }
  if (external) {
    if (!ports.length) throw new ConfigError(`${where}: an external deployment needs a port (and a host)`);
  } else if (options.host !== undefined && options.host !== '127.0.0.1' && options.host !== 'localhost') {
    throw new ConfigError(
      `${where}: host '${String(options.host)}' only makes sense with external: true; local runtimes listen on 127.0.0.1`,
    );
  }
  if (
    options.when !== undefined &&
    (typeof options.when !== 'object' || options.when === null || Array.isArray(options.when))
  ) {
    throw new ConfigError(`${where}: when must be a filter query object such as {tags__kind: {$eq: 'a'}}`);
  }
  const head =
    !external && (shards > 1 || options.usesBefore !== undefined || options.usesAfter !== undefined);
  if (!external && !head && ports.length > 0 && ports.length !== replicas) {
    throw new ConfigError(`${where}: give one port per replica (${replicas}), got ${ports.length}`);
  }
  if (head && ports.length > 1) {
    throw new ConfigError(
      `${where}: a sharded deployment listens on one port (its head), got ${ports.length}`,
    );
  }
  return {
    ...options,
    name,
    replicas,
    shards,
    polling: options.polling ?? 'ANY',
    needs,
    floating: options.floating ?? false,
    noReduce: options.noReduce ?? false,
    external,
    head,
  };
}

/** @internal The gateway protocols and ports of a Flow, checked. */
export function gatewayDoors(options: FlowOptions): { protocols: GatewayProtocol[]; ports: number[] } {
  const protocols =
    options.protocol === undefined
      ? (['grpc'] as GatewayProtocol[])
      : typeof options.protocol === 'string'
        ? [options.protocol]
        : [...options.protocol];
  for (const p of protocols) {
    if (p !== 'grpc' && p !== 'http' && p !== 'websocket') {
      throw new ConfigError(
        `Flow: protocol '${String(p)}' is not supported; use 'grpc', 'http' or 'websocket'`,
      );
    }
  }
  if (new Set(protocols).size !== protocols.length)
    throw new ConfigError(`Flow: protocol lists '${protocols.join(', ')}' twice`);
  const ports = portList('Flow', options.port);
  if (ports.length > protocols.length) {
    throw new ConfigError(
      `Flow: ${ports.length} ports for ${protocols.length} protocol(s); give one port per protocol`,
    );
  }
  return { protocols, ports };
}
