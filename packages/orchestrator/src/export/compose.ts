import { writeFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { ConfigError } from '@weft/core';
import { stringify } from 'yaml';
import type { Deployment } from '../deployment.js';
import type { Flow } from '../flow.js';
import {
  checkExportable,
  containerUses,
  deploymentAddress,
  dnsName,
  type ExportOptions,
  executorArgs,
  exportSpec,
  externalOf,
  gatewayArgs,
  gatewayPorts,
  headArgs,
  pingCommand,
  runtimeEnv,
  type SecretPaths,
  secretSources,
} from './common.js';

/** Options of {@link toDockerCompose}. */
export interface ComposeExportOptions extends ExportOptions {
  /** Name of the bridge network. @default 'weft' */
  network?: string;
  /** Publish the gateway's ports on the host (gateway port → host port). @default the same ports */
  publish?: boolean;
  /** Folder the Compose file is written to: the secrets' `file:` paths are made relative to it. @default absolute paths */
  composeDir?: string;
}

/** A Compose service as plain JSON. */
export interface ComposeService {
  image: string;
  command: string[];
  working_dir: string;
  environment: Record<string, string>;
  init: true;
  networks: string[];
  healthcheck: { test: string[]; interval: string; timeout: string; retries: number; start_period: string };
  depends_on?: Record<string, { condition: 'service_healthy' }>;
  ports?: string[];
  expose?: string[];
  /** Secrets mounted at `/run/secrets/<name>`. */
  secrets?: string[];
}

/** A Compose file as plain JSON. */
export interface ComposeFile {
  services: Record<string, ComposeService>;
  networks: Record<string, { driver: 'bridge' }>;
  /** Certificates, keys and tokens, read from files on the host. */
  secrets?: Record<string, { file: string }>;
}

/** Compose secret names (mounted at `/run/secrets/<name>`). */
const SECRET = {
  internalCert: 'weft_internal_tls_cert',
  internalKey: 'weft_internal_tls_key',
  internalCa: 'weft_internal_tls_ca',
  gatewayCert: 'weft_gateway_tls_cert',
  gatewayKey: 'weft_gateway_tls_key',
  gatewayCa: 'weft_gateway_tls_ca',
  tokens: 'weft_auth_tokens',
} as const;
const run = (name: string) => `/run/secrets/${name}`;

const EXECUTOR_PORT = 8081;

/**
 * A Docker Compose file of a Flow (semantics.md "Export"): services `gateway`, `<name>` (one
 * replica), `<name>-rep-<i>`, `<name>-<s>-rep-<i>` (shards), `<name>-head` and
 * `<name>-uses-before`/`-after`; executors on port 8081; health checks with `weft ping`;
 * `depends_on` healthy executors; `init: true`; one bridge network.
 */
export function toDockerCompose(x: Flow | Deployment, options: ComposeExportOptions = {}): ComposeFile {
  const spec = exportSpec(x);
  checkExportable(spec);
  const sources = secretSources(spec);
  if (sources.tokens)
    throw new ConfigError(
      'Docker Compose export: auth.tokens are inline; give them in auth.tokensFile (YAML auth.tokens_file) so that the Compose file can mount them as a secret instead of holding them',
    );
  const fileOf = (path: string) => {
    if (!options.composeDir) return path;
    const rel = relative(resolve(options.composeDir), path).split(sep).join('/');
    return rel.startsWith('.') ? rel : `./${rel}`;
  };
  const secrets: Record<string, { file: string }> = {};
  const secret = (name: string, file: string | undefined) => {
    if (file === undefined) return undefined;
    secrets[name] = { file: fileOf(file) };
    return run(name);
  };
  const paths: SecretPaths = {};
  if (sources.internalTls)
    paths.internalTls = {
      cert: secret(SECRET.internalCert, sources.internalTls.cert)!,
      key: secret(SECRET.internalKey, sources.internalTls.key)!,
      ...(sources.internalTls.ca ? { ca: secret(SECRET.internalCa, sources.internalTls.ca)! } : {}),
    };
  if (sources.gatewayTls)
    paths.gatewayTls = {
      cert: secret(SECRET.gatewayCert, sources.gatewayTls.cert)!,
      key: secret(SECRET.gatewayKey, sources.gatewayTls.key)!,
      ...(sources.gatewayTls.ca ? { ca: secret(SECRET.gatewayCa, sources.gatewayTls.ca)! } : {}),
    };
  if (sources.tokensFile) paths.tokens = secret(SECRET.tokens, sources.tokensFile);
  const internalSecrets = Object.keys(secrets).filter((n) => n.startsWith('weft_internal_'));
  const network = options.network ?? 'weft';
  const workdir = options.workdir ?? '/app';
  const image = options.image ?? 'weft:latest';
  const services: Record<string, ComposeService> = {};
  const service = (
    env: Record<string, string>,
    command: string[],
    ping: 'executor' | 'gateway' | undefined,
    port: number,
  ): ComposeService => ({
    image,
    command,
    working_dir: workdir,
    environment: env,
    init: true,
    networks: [network],
    healthcheck: {
      test: ping
        ? ['CMD', ...pingCommand(ping, port, spec, paths)]
        : [
            'CMD',
            'node',
            '-e',
            // A probe checks health, not identity: a TLS door's certificate is not verified here.
            paths.gatewayTls
              ? `require('https').get({host:'127.0.0.1',port:${port},path:'/',rejectUnauthorized:false},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))`
              : `fetch('http://127.0.0.1:${port}/').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
          ],
      interval: '2s',
      timeout: '5s',
      retries: 30,
      start_period: '5s',
    },
  });
  const addresses: Record<string, string[]> = {};
  const executors: string[] = [];
  for (const d of spec.deployments) {
    if (d.external) {
      addresses[d.name] = externalOf(d);
      continue;
    }
    const base = dnsName(d.name);
    const env = runtimeEnv(spec, d, options);
    const uses = containerUses(d.uses!, spec, options, `deployment '${d.name}'`);
    const add = (name: string, command: string[]) => {
      services[name] = {
        ...service(env, command, 'executor', EXECUTOR_PORT),
        expose: [String(EXECUTOR_PORT)],
        ...(internalSecrets.length ? { secrets: internalSecrets } : {}),
      };
      executors.push(name);
      return `${name}:${EXECUTOR_PORT}`;
    };
    const replicaService = (s: number, r: number) =>
      d.shards > 1 ? `${base}-${s}-rep-${r}` : d.replicas > 1 ? `${base}-rep-${r}` : base;
    const runtimeName = (s: number, r: number) =>
      d.shards > 1 ? `${d.name}/shard-${s}/rep-${r}` : `${d.name}/rep-${r}`;
    const shards: string[][] = [];
    for (let s = 0; s < d.shards; s++) {
      const list: string[] = [];
      for (let r = 0; r < d.replicas; r++) {
        list.push(
          add(
            replicaService(s, r),
            executorArgs(d, uses, EXECUTOR_PORT, s, { runtimeName: runtimeName(s, r), replicaId: r, paths }),
          ),
        );
      }
      shards.push(list);
    }
    if (!d.head) {
      addresses[d.name] = shards[0]!.map((a) => (spec.options.internalTls ? deploymentAddress(spec, a) : a));
      continue;
    }
    const side = (which: 'before' | 'after', u: typeof d.usesBefore) =>
      u === undefined
        ? undefined
        : add(
            `${base}-uses-${which}`,
            executorArgs(
              { ...d, replicas: 1, shards: 1, usesWith: undefined, usesMetas: undefined },
              containerUses(u, spec, options, `deployment '${d.name}' uses_${which}`),
              EXECUTOR_PORT,
              0,
              { runtimeName: `${d.name}/uses-${which}`, paths },
            ),
          );
    const before = side('before', d.usesBefore);
    const after = side('after', d.usesAfter);
    const headService = `${base}-head`;
    const deps = Object.keys(services).filter((n) => n === base || n.startsWith(`${base}-`));
    services[headService] = {
      ...service(env, headArgs(d, EXECUTOR_PORT, shards, before, after, paths), 'executor', EXECUTOR_PORT),
      expose: [String(EXECUTOR_PORT)],
      depends_on: Object.fromEntries(deps.map((n) => [n, { condition: 'service_healthy' as const }])),
      ...(internalSecrets.length ? { secrets: internalSecrets } : {}),
    };
    executors.push(headService);
    const headAddress = `${headService}:${EXECUTOR_PORT}`;
    addresses[d.name] = [spec.options.internalTls ? deploymentAddress(spec, headAddress) : headAddress];
  }
  const doors = gatewayPorts(spec.options);
  const grpcDoor = doors.find((d) => d.protocol === 'grpc');
  services.gateway = {
    ...service(
      runtimeEnv(spec, undefined, options),
      gatewayArgs(spec, addresses, paths),
      grpcDoor ? 'gateway' : undefined,
      (grpcDoor ?? doors[0]!).port,
    ),
    // Without a CA, the gateway verifies the deployments against the system CAs: it needs no file.
    ...(() => {
      const own = Object.keys(secrets).filter(
        (n) => !n.startsWith('weft_internal_') || paths.internalTls?.ca !== undefined,
      );
      return own.length ? { secrets: own } : {};
    })(),
    ...(options.publish === false
      ? { expose: doors.map((d) => String(d.port)) }
      : { ports: doors.map((d) => `${d.port}:${d.port}`) }),
    depends_on: Object.fromEntries(executors.map((n) => [n, { condition: 'service_healthy' as const }])),
  };
  return {
    services,
    networks: { [network]: { driver: 'bridge' } },
    ...(Object.keys(secrets).length ? { secrets } : {}),
  };
}

/** Writes {@link toDockerCompose}'s file to `file` (YAML). */
export async function exportDockerCompose(
  x: Flow | Deployment,
  file: string,
  options: ComposeExportOptions = {},
): Promise<void> {
  await writeFile(
    file,
    stringify(toDockerCompose(x, { composeDir: dirname(resolve(file)), ...options }), {
      lineWidth: 0,
      aliasDuplicateObjects: false,
    }),
  );
}
