import { readFileSync } from 'node:fs';
import type { JsonObject } from '@bufbuild/protobuf';
import { ConfigError, parseAddress } from '@weft/core';
import { readTokensFile } from '@weft/core/grpc';
import { type GatewayLimits, type GatewayOptions, type GatewayProtocol, startGateway } from '@weft/gateway';
import { type Command, Option } from 'commander';
import { GATEWAY_LIMIT_FLAGS } from '@weft/orchestrator';

/** The parsed flags of `weft gateway`. */
export interface GatewayFlags {
  graphDescription: string;
  deploymentsAddresses: string;
  deploymentsNoReduce?: string;
  graphConditions?: string;
  deploymentsTimeoutSend?: string;
  protocol: string[];
  port?: string[];
  host: string;
  sslCertfile?: string;
  sslKeyfile?: string;
  sslCafile?: string;
  authToken?: string[];
  authTokensFile?: string;
  publicHealth?: boolean;
  headersTimeoutMs?: string;
  requestTimeoutMs?: string;
  idleTimeoutMs?: string;
  maxConnections?: string;
  maxConcurrentStreams?: string;
  maxInFlight?: string;
  maxRequestsPerConnection?: string;
  maxWebSocketConnections?: string;
  bodyLimit?: string;
  deploymentsSslCafile?: string;
  deploymentsSslCertfile?: string;
  deploymentsSslKeyfile?: string;
  cors?: boolean;
  prefetch?: string;
  timeoutSend?: string;
  retries?: string;
  monitoring?: boolean;
  portMonitoring?: string;
  exposeEndpoints?: boolean;
  debugEndpoints?: boolean;
  crudEndpoints?: boolean;
}

function json<T>(flag: string, text: string, check: (v: unknown) => v is T, shape: string): T {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${flag}: not valid JSON (${(err as Error).message}); expected ${shape}`);
  }
  if (!check(v)) throw new ConfigError(`${flag}: expected ${shape}, got ${text.slice(0, 80)}`);
  return v;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isGraph = (v: unknown): v is Record<string, string[]> =>
  isObject(v) && Object.values(v).every(isStringList);

function int(flag: string, text: string | undefined, min = 0): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${flag}: '${text}' is not an integer ≥ ${min}`);
  return n;
}

/** Limit flags and the {@link GatewayLimits} each sets (`--body-limit` is read on its own). */
const { bodyLimit: _bodyLimitFlag, ...LIMIT_FLAGS } = GATEWAY_LIMIT_FLAGS;

/**
 * Turns `weft gateway` flags (Jina's gateway arguments, as the Kubernetes and Compose exports
 * write them) into {@link GatewayOptions}. Addresses may carry a scheme: `grpc://host:port`, or
 * `grpcs://host:port` for TLS towards that deployment's replicas.
 */
export function gatewayOptionsFromFlags(f: GatewayFlags): GatewayOptions {
  const graph = json(
    '--graph-description',
    f.graphDescription,
    isGraph,
    '{"start-gateway": ["executor0"], ...}',
  );
  const raw = json(
    '--deployments-addresses',
    f.deploymentsAddresses,
    (v): v is Record<string, string[]> => isObject(v) && Object.values(v).every(isStringList),
    '{"executor0": ["host:port", ...]}',
  );
  const internal = f.deploymentsSslCafile ?? f.deploymentsSslCertfile ?? f.deploymentsSslKeyfile;
  let tls: boolean | undefined = internal !== undefined ? true : undefined;
  const addresses: Record<string, string[]> = {};
  for (const [name, list] of Object.entries(raw)) {
    addresses[name] = list.map((text) => {
      const a = parseAddress(text);
      if (a.scheme !== 'grpc')
        throw new ConfigError(
          `--deployments-addresses: '${text}' of ${name}: deployments speak gRPC; use grpc:// or grpcs://`,
        );
      if (internal !== undefined && !a.tls)
        throw new ConfigError(
          `--deployments-addresses: '${text}' of ${name} is plaintext, but --deployments-ssl-* asks for TLS towards the deployments; write grpcs://`,
        );
      if (tls !== undefined && tls !== a.tls)
        throw new ConfigError(
          '--deployments-addresses: mixing grpc:// and grpcs:// deployments is not supported; use one for all',
        );
      tls = a.tls;
      return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
    });
  }
  const protocols = f.protocol.map((p) => p.toLowerCase());
  for (const p of protocols)
    if (!['grpc', 'http', 'websocket'].includes(p))
      throw new ConfigError(`--protocol: '${p}' is unknown; use grpc, http or websocket`);
  const ports = (f.port ?? []).map((p) => int('--port', p)!);
  const timeoutSend = int('--timeout-send', f.timeoutSend);
  const retries = f.retries === undefined ? undefined : Number(f.retries);
  if (retries !== undefined && (!Number.isInteger(retries) || retries < -1))
    throw new ConfigError(`--retries: '${f.retries}' is not an integer (-1 = default)`);
  const options: GatewayOptions = {
    graph,
    addresses,
    protocol: protocols as GatewayProtocol[],
    port: ports.length ? ports : undefined,
    host: f.host,
    cors: f.cors ?? false,
    exposeEndpoints: f.exposeEndpoints ?? false,
    noDebugEndpoints: f.debugEndpoints === false,
    noCrudEndpoints: f.crudEndpoints === false,
    prefetch: int('--prefetch', f.prefetch) || undefined,
    pool: {
      timeoutSend: timeoutSend || undefined,
      retries: retries === undefined || retries < 0 ? undefined : retries,
      tls,
    },
  };
  if (f.deploymentsNoReduce)
    options.noReduce = json(
      '--deployments-no-reduce',
      f.deploymentsNoReduce,
      isStringList,
      '["executor1", ...]',
    );
  if (f.graphConditions)
    options.conditions = json(
      '--graph-conditions',
      f.graphConditions,
      (v): v is Record<string, JsonObject> => isObject(v) && Object.values(v).every(isObject),
      '{"executor0": {"tags__key": {"$eq": 1}}}',
    );
  if (f.deploymentsTimeoutSend) {
    const per = json(
      '--deployments-timeout-send',
      f.deploymentsTimeoutSend,
      (v): v is Record<string, number> => isObject(v) && Object.values(v).every((x) => typeof x === 'number'),
      '{"executor0": 5000}',
    );
    options.deployments = Object.fromEntries(Object.entries(per).map(([k, ms]) => [k, { timeoutSend: ms }]));
  }
  if (f.sslCertfile || f.sslKeyfile || f.sslCafile) {
    if (!f.sslCertfile || !f.sslKeyfile)
      throw new ConfigError(
        'TLS needs both --ssl-certfile and --ssl-keyfile (and --ssl-cafile for mutual TLS)',
      );
    options.tls = {
      certFile: f.sslCertfile,
      keyFile: f.sslKeyfile,
      ...(f.sslCafile ? { caFile: f.sslCafile } : {}),
    };
  }
  if (internal !== undefined) {
    if ((f.deploymentsSslCertfile === undefined) !== (f.deploymentsSslKeyfile === undefined))
      throw new ConfigError('give both --deployments-ssl-certfile and --deployments-ssl-keyfile, or neither');
    if (f.deploymentsSslCertfile === undefined && f.deploymentsSslCafile !== undefined) {
      // Verify the deployments against the CA without presenting a client certificate.
      options.pool!.tls = { ca: readFileSyncChecked('--deployments-ssl-cafile', f.deploymentsSslCafile) };
    } else if (f.deploymentsSslCertfile !== undefined && f.deploymentsSslKeyfile !== undefined) {
      options.pool!.tls = undefined;
      options.internalTls = {
        certFile: f.deploymentsSslCertfile,
        keyFile: f.deploymentsSslKeyfile,
        ...(f.deploymentsSslCafile ? { caFile: f.deploymentsSslCafile } : {}),
      };
    }
  }
  const tokens = [
    ...(f.authToken ?? []),
    ...(f.authTokensFile ? readTokensFile(f.authTokensFile, '--auth-tokens-file') : []),
  ];
  if (tokens.length) options.auth = { tokens, publicHealth: f.publicHealth !== false };
  else if (f.publicHealth === false)
    throw new ConfigError(
      '--no-public-health closes health checks to callers without a token: give --auth-tokens-file too',
    );
  const limits: GatewayLimits = {};
  for (const [key, flag] of Object.entries(LIMIT_FLAGS) as [keyof GatewayLimits, string][]) {
    const v = int(flag, f[key], 1);
    if (v !== undefined) limits[key] = v;
  }
  if (Object.keys(limits).length) options.limits = limits;
  const bodyLimit = int('--body-limit', f.bodyLimit, 1);
  if (bodyLimit !== undefined) options.bodyLimit = bodyLimit;
  if (f.monitoring) options.monitoring = { port: int('--port-monitoring', f.portMonitoring) ?? 9090 };
  return options;
}

function readFileSyncChecked(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(
      `${flag}: cannot read '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** Registers `weft gateway`: a standalone gateway in front of running deployments. */
export function registerGatewayCommand(program: Command): void {
  program
    .command('gateway')
    .description(
      'serve a Flow gateway in front of running deployments (as the Kubernetes and Compose exports run it)',
    )
    .requiredOption(
      '--graph-description <json>',
      'the Flow DAG: {"start-gateway": ["executor0"], "executor0": ["end-gateway"]}',
    )
    .requiredOption(
      '--deployments-addresses <json>',
      'replica addresses per deployment: {"executor0": ["grpc://host:port"]}',
    )
    .option('--deployments-no-reduce <json>', 'deployments that get every part of a join: ["executor2"]')
    .option(
      '--graph-conditions <json>',
      'when-filters per deployment: {"executor0": {"tags__k": {"$eq": 1}}}',
    )
    .option('--deployments-timeout-send <json>', 'per-deployment timeoutSend in ms: {"executor0": 5000}')
    .option('--protocol <protocols...>', 'door(s): grpc, http, websocket', ['grpc'])
    .option('--port <ports...>', 'one port per protocol (0 or none picks a free one)')
    .option('--host <host>', 'interface to bind (0.0.0.0 inside a container)', '127.0.0.1')
    .option('--ssl-certfile <file>', 'TLS certificate (PEM) for every door')
    .option('--ssl-keyfile <file>', 'TLS key (PEM) for every door')
    .option('--ssl-cafile <file>', 'mutual TLS: clients must present a certificate signed by this CA (PEM)')
    .option(
      '--auth-tokens-file <file>',
      'bearer tokens clients must send (Authorization: Bearer <token>), one per line',
    )
    .option(
      '--auth-token <token>',
      'a bearer token (repeatable); visible in ps: prefer --auth-tokens-file',
      (t: string, prev: string[] = []) => [...prev, t],
    )
    .addOption(new Option('--no-public-health', 'require the token for health checks and /metrics too'))
    .option(
      '--headers-timeout-ms <ms>',
      'time a connection has for its first request headers (default 10000)',
    )
    .option('--request-timeout-ms <ms>', 'time an HTTP request has to arrive whole (default 300000)')
    .option('--idle-timeout-ms <ms>', 'idle connections are closed after this (default 120000)')
    .option('--max-connections <n>', 'open connections per door (default 10000)')
    .option('--max-concurrent-streams <n>', 'concurrent streams per gRPC connection (default 1000)')
    .option(
      '--max-in-flight <n>',
      'requests in flight in the gateway; more get RESOURCE_EXHAUSTED/429 (default 10000)',
    )
    .option(
      '--max-requests-per-connection <n>',
      'requests per HTTP/1.1 keep-alive connection before the gateway closes it (default 1000)',
    )
    .option(
      '--max-web-socket-connections <n>',
      'open WebSockets; further upgrades are closed with 1013 (default 5000)',
    )
    .option('--body-limit <bytes>', 'largest gRPC message, HTTP body or WebSocket frame (default 104857600)')
    .option('--deployments-ssl-cafile <file>', 'verify grpcs:// deployments against this CA (PEM)')
    .option(
      '--deployments-ssl-certfile <file>',
      'client certificate (PEM) for deployments that require mutual TLS',
    )
    .option('--deployments-ssl-keyfile <file>', 'key (PEM) of --deployments-ssl-certfile')
    .option('--cors', 'allow cross-origin requests on the HTTP door')
    .option('--prefetch <n>', 'most requests in flight per client stream/connection')
    .option('--timeout-send <ms>', 'deadline of each call to a deployment (0 = none)')
    .option('--retries <n>', 'attempts across replicas (-1 = max(3, replicas))')
    .option('--monitoring', 'serve Prometheus metrics at /metrics')
    .option('--port-monitoring <port>', 'port of the metrics server', '9090')
    .option('--expose-endpoints', 'add an HTTP route for every executor endpoint')
    .addOption(new Option('--no-debug-endpoints', 'leave out GET /status and GET /dry_run'))
    .addOption(new Option('--no-crud-endpoints', 'leave out /index, /search, /update, /delete'))
    .addHelpText(
      'after',
      `
Example:
  $ weft gateway --graph-description '{"start-gateway": ["executor0"], "executor0": ["end-gateway"]}' \\
      --deployments-addresses '{"executor0": ["grpc://executor0.default.svc:8080"]}' \\
      --protocol grpc http --port 8080 8081 --auth-tokens-file /run/secrets/tokens

Tokens: --auth-tokens-file keeps them out of the process list; --auth-token is for quick tests.`,
    )
    .action(async (flags: GatewayFlags) => {
      const gw = await startGateway(gatewayOptionsFromFlags(flags));
      console.log(
        `Gateway ready: ${Object.entries(gw.ports)
          .map(([p, port]) => `${p} on ${flags.host}:${port}`)
          .join(', ')}. Press Ctrl-C to stop.`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void gw.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
