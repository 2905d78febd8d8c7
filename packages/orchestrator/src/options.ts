import type { JsonObject } from '@bufbuild/protobuf';
import { ConfigError } from '@weft/core';
import type { GatewayLimits } from '@weft/gateway';
import type { Uses } from './uses.js';

/** How a sharded deployment spreads a request: one shard (`ANY`) or every shard (`ALL`). */
export type PollingMode = 'ANY' | 'ALL';

/** Polling for every endpoint, or per endpoint (`{ '/search': 'ALL', '*': 'ANY' }`). */
export type Polling = PollingMode | Readonly<Record<string, PollingMode>>;

/** A protocol the gateway serves. */
export type GatewayProtocol = 'grpc' | 'http' | 'websocket';

/** TLS certificate and key files (PEM); with `caFile`, mutual TLS. */
export interface TlsFiles {
  /** Path of the certificate chain (PEM). */
  certFile: string;
  /** Path of the private key (PEM). */
  keyFile: string;
  /**
   * Path of a CA certificate (PEM). On `tls` (the gateway's doors): clients must present a
   * certificate signed by it. On `internalTls`: the CA that signed `certFile`; callers verify
   * against it and TLS between runtimes is mutual. @default none
   */
  caFile?: string;
}

/** Bearer-token authentication at the gateway's doors (`Authorization: Bearer <token>`). */
export interface FlowAuth {
  /** Tokens that let a request in. Prefer `tokensFile`: tokens given here are saved by `saveYaml`. @default [] */
  tokens?: readonly string[];
  /** A file of tokens: one per line (or separated by spaces); `#` starts a comment. Read by `start()` and the exports. @default none */
  tokensFile?: string;
  /** Leave health checks (HTTP `GET /`, gRPC health) and `/metrics` open without a token. @default true */
  publicHealth?: boolean;
}

/**
 * Limits of the gateway (see docs/reliability.md): every one is on by default; set one to change it.
 * The fields of `GatewayLimits` of `@weft/gateway`, plus `bodyLimit`.
 */
export interface FlowLimits extends GatewayLimits {
  /** Largest gRPC message, HTTP body or WebSocket frame accepted at the doors, in bytes. @default 104857600 (100 MiB) */
  bodyLimit?: number;
}

/** The keys of {@link FlowLimits}. */
export const LIMIT_KEYS = [
  'headersTimeoutMs',
  'requestTimeoutMs',
  'idleTimeoutMs',
  'maxConnections',
  'maxConcurrentStreams',
  'maxInFlight',
  'maxRequestsPerConnection',
  'maxWebSocketConnections',
  'bodyLimit',
] as const satisfies readonly (keyof FlowLimits)[];

/** The `weft gateway` flag that sets each of {@link FlowLimits} (the exports write them). */
export const GATEWAY_LIMIT_FLAGS = {
  headersTimeoutMs: '--headers-timeout-ms',
  requestTimeoutMs: '--request-timeout-ms',
  idleTimeoutMs: '--idle-timeout-ms',
  maxConnections: '--max-connections',
  maxConcurrentStreams: '--max-concurrent-streams',
  maxInFlight: '--max-in-flight',
  maxRequestsPerConnection: '--max-requests-per-connection',
  maxWebSocketConnections: '--max-web-socket-connections',
  bodyLimit: '--body-limit',
} as const satisfies Record<(typeof LIMIT_KEYS)[number], string>;

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
  /** An external deployment speaks TLS (it must when the Flow has `internalTls`, and cannot otherwise). @default false */
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
  /** Serve the gateway's doors over TLS; with `caFile`, clients must present a certificate signed by it. @default plaintext */
  tls?: TlsFiles;
  /**
   * TLS between the gateway, heads and executors: every runtime serves with this certificate and
   * callers verify it against `caFile` (which also makes TLS mutual). The certificate must name
   * 127.0.0.1 (an IP SAN) for local Flows, and every Service name in the exports. @default plaintext
   */
  internalTls?: TlsFiles;
  /** Bearer tokens the gateway requires at every door. @default none: every request passes */
  auth?: FlowAuth;
  /** Gateway limits (timeouts, connection and stream caps, in-flight requests, message size). @default the gateway's defaults */
  limits?: FlowLimits;
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

function checkTlsFiles(where: string, tls: unknown): void {
  if (tls === undefined) return;
  const t = tls as Partial<TlsFiles>;
  if (
    typeof tls !== 'object' ||
    tls === null ||
    typeof t.certFile !== 'string' ||
    typeof t.keyFile !== 'string'
  )
    throw new ConfigError(`${where}: give { certFile, keyFile } (PEM file paths), and caFile for mutual TLS`);
  if (t.caFile !== undefined && typeof t.caFile !== 'string')
    throw new ConfigError(`${where}.caFile: give the path of a PEM file`);
}

/** @internal Checks a Flow's `tls`, `internalTls`, `auth` and `limits` (not the files: `start()` reads them). */
export function checkGatewayAccess(options: FlowOptions, where = 'Flow'): void {
  checkTlsFiles(`${where}: tls`, options.tls);
  checkTlsFiles(`${where}: internalTls`, options.internalTls);
  const auth = options.auth as (FlowAuth & { verify?: unknown }) | undefined;
  if (auth !== undefined) {
    if (typeof auth !== 'object' || auth === null)
      throw new ConfigError(`${where}: auth must be { tokens, tokensFile, publicHealth }`);
    if (auth.verify !== undefined)
      throw new ConfigError(
        `${where}: auth.verify cannot reach the gateway process (functions do not cross processes); give tokens or tokensFile, or run startGateway from @weft/gateway yourself`,
      );
    if (auth.tokens !== undefined) {
      if (!Array.isArray(auth.tokens))
        throw new ConfigError(`${where}: auth.tokens must be a list of strings`);
      for (const t of auth.tokens)
        if (typeof t !== 'string' || !/^\S+$/.test(t))
          throw new ConfigError(
            `${where}: auth.tokens: every token must be a non-empty string without spaces (clients send "Bearer <token>")`,
          );
    }
    if (auth.tokensFile !== undefined && typeof auth.tokensFile !== 'string')
      throw new ConfigError(`${where}: auth.tokensFile must be a file path`);
    if (!auth.tokens?.length && !auth.tokensFile)
      throw new ConfigError(
        `${where}: auth needs tokens or tokensFile (or leave auth out to let every request in)`,
      );
  }
  const limits = options.limits as Record<string, unknown> | undefined;
  if (limits !== undefined) {
    for (const [k, v] of Object.entries(limits)) {
      if (!(LIMIT_KEYS as readonly string[]).includes(k))
        throw new ConfigError(`${where}: limits.${k} is not a limit; use one of ${LIMIT_KEYS.join(', ')}`);
      if (v !== undefined && (!Number.isInteger(v) || (v as number) < 1))
        throw new ConfigError(
          `${where}: limits.${k} must be a positive whole number, got ${JSON.stringify(v)}; omit it for the default`,
        );
    }
  }
}

/**
 * @internal With `internalTls`, the gateway speaks TLS to every deployment, so external ones must
 * too; without it, to none (per-deployment TLS is not supported yet).
 */
export function checkExternalTls(options: FlowOptions, deployments: readonly NormalizedDeployment[]): void {
  for (const d of deployments) {
    if (!d.external) continue;
    if (options.internalTls && !d.tls)
      throw new ConfigError(
        `deployment '${d.name}': the Flow has internalTls, so the gateway calls every deployment over TLS; set tls: true on this external deployment (it must serve TLS with a certificate the internalTls caFile verifies)`,
      );
    if (!options.internalTls && d.tls)
      throw new ConfigError(
        `deployment '${d.name}': tls: true on an external deployment needs internalTls on the Flow: the gateway calls every deployment over TLS or none`,
      );
  }
}
