import type { JsonObject } from '@bufbuild/protobuf';
import { ConfigError, parseAddress } from '@weft/core';
import { type GatewayOptions, type GatewayProtocol, startGateway } from '@weft/gateway';
import { type Command, Option } from 'commander';

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

function int(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0)
    throw new ConfigError(`${flag}: '${text}' is not a non-negative integer`);
  return n;
}

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
  let tls: boolean | undefined;
  const addresses: Record<string, string[]> = {};
  for (const [name, list] of Object.entries(raw)) {
    addresses[name] = list.map((text) => {
      const a = parseAddress(text);
      if (a.scheme !== 'grpc')
        throw new ConfigError(
          `--deployments-addresses: '${text}' of ${name}: deployments speak gRPC; use grpc:// or grpcs://`,
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
  if (f.sslCertfile || f.sslKeyfile) {
    if (!f.sslCertfile || !f.sslKeyfile)
      throw new ConfigError('TLS needs both --ssl-certfile and --ssl-keyfile');
    options.tls = { certFile: f.sslCertfile, keyFile: f.sslKeyfile };
  }
  if (f.monitoring) options.monitoring = { port: int('--port-monitoring', f.portMonitoring) ?? 9090 };
  return options;
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
      --protocol grpc http --port 8080 8081`,
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
