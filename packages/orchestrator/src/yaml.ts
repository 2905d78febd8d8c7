import { readFile, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@weft/core';
import { parse, stringify } from 'yaml';
import type { z } from 'zod';
import { Deployment } from './deployment.js';
import { Flow } from './flow.js';
import type {
  DeploymentOptions,
  FlowAuth,
  FlowLimits,
  FlowOptions,
  GatewayProtocol,
  NormalizedDeployment,
  TlsFiles,
} from './options.js';
import { resolveUses, type Uses } from './uses.js';
import {
  type DeploymentYamlDocument,
  type ExecutorEntryDocument,
  type FlowYamlDocument,
  WeftYaml,
} from './yaml-schema.js';

/** Options of the YAML loaders. */
export interface LoadYamlOptions {
  /** Values for `${{ CONTEXT.VAR }}`. @default {} */
  context?: Readonly<Record<string, unknown>>;
  /** Values for `${{ ENV.VAR }}`. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Flow options that replace the YAML's `with:` (e.g. `{ port: undefined }` for free ports in tests). @default {} */
  override?: Partial<FlowOptions>;
}

const EXPR = /\$\{\{\s*(ENV|CONTEXT)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/**
 * Replaces `${{ ENV.VAR }}` and `${{ CONTEXT.VAR }}` in every string of a parsed YAML tree. A string
 * that is one expression takes the value's YAML type (`port: ${{ ENV.PORT }}` becomes a number).
 * An unset variable is an error naming its path.
 */
export function substituteVariables(
  value: unknown,
  options: LoadYamlOptions = {},
  path: string[] = [],
): unknown {
  const env = options.env ?? process.env;
  const lookup = (kind: string, name: string): unknown => {
    const v = kind === 'ENV' ? env[name] : options.context?.[name];
    if (v === undefined) {
      const how = kind === 'ENV' ? `set the environment variable ${name}` : `pass ${name} in the context`;
      throw new ConfigError(`${path.join('.') || '(root)'}: \${{ ${kind}.${name} }} is not set; ${how}`);
    }
    return v;
  };
  if (typeof value === 'string') {
    const whole = /^\$\{\{\s*(ENV|CONTEXT)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/.exec(value);
    if (whole) {
      const v = lookup(whole[1]!, whole[2]!);
      return typeof v === 'string' ? (parse(v) ?? v) : v;
    }
    return value.replace(EXPR, (_, kind: string, name: string) => String(lookup(kind, name)));
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteVariables(v, options, [...path, String(i)]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteVariables(v, options, [...path, k])]),
    );
  }
  return value;
}

function formatIssues(file: string, error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const at = i.path.map(String).join('.') || '(root)';
      const keys = 'keys' in i && Array.isArray(i.keys) ? ` (${(i.keys as string[]).join(', ')})` : '';
      return `  ${file}: ${at}: ${i.message}${keys}`;
    })
    .join('\n');
}

async function readYaml(file: string, options: LoadYamlOptions): Promise<z.infer<typeof WeftYaml>> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new ConfigError(
      `cannot read YAML '${file}': ${err.code === 'ENOENT' ? 'no such file' : err.message}`,
    );
  });
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new ConfigError(`${file} is not valid YAML: ${(err as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || !('jtype' in raw)) {
    throw new ConfigError(
      `${file}: jtype is missing; start the file with 'jtype: Flow' or 'jtype: Deployment'`,
    );
  }
  try {
    raw = substituteVariables(raw, options);
  } catch (err) {
    throw new ConfigError(`${file}: ${(err as Error).message}`);
  }
  const parsed = WeftYaml.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      `${file} is not a valid ${(raw as { jtype: unknown }).jtype} YAML:\n${formatIssues(file, parsed.error)}`,
    );
  }
  return parsed.data;
}

const lower = (p: string | string[] | undefined): GatewayProtocol | GatewayProtocol[] | undefined =>
  p === undefined
    ? undefined
    : Array.isArray(p)
      ? (p.map((x) => x.toLowerCase()) as GatewayProtocol[])
      : (p.toLowerCase() as GatewayProtocol);

const stringEnv = (env: Record<string, string | number | boolean> | undefined) =>
  env ? Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])) : undefined;

/** `uses` of a YAML entry, relative paths resolved against the YAML file's folder. */
function yamlUses(uses: string | undefined, base: string): Uses | undefined {
  if (uses === undefined) return undefined;
  if (/\.ya?ml$/i.test(uses)) return resolve(base, uses); // an executor YAML file
  const spec = resolveUses(uses, base, undefined);
  return `${spec.module}#${spec.exportName}`;
}

function deploymentFromYaml(
  e: Omit<ExecutorEntryDocument, 'needs'> & { needs?: string | string[] },
  base: string,
): DeploymentOptions {
  return {
    uses: yamlUses(e.uses, base),
    name: e.name,
    replicas: e.replicas,
    shards: e.shards,
    polling: e.polling,
    needs: e.needs,
    when: e.when as DeploymentOptions['when'],
    floating: e.floating,
    noReduce: e.no_reduce ?? e.disable_reduce,
    usesWith: e.uses_with,
    usesMetas: e.uses_metas,
    usesBefore: yamlUses(e.uses_before, base),
    usesAfter: yamlUses(e.uses_after, base),
    timeoutSend: e.timeout_send,
    timeoutReady: e.timeout_ready,
    retries: e.retries,
    env: stringEnv(e.env),
    workspace: e.workspace === undefined ? undefined : resolve(base, e.workspace),
    external: e.external,
    host: e.host,
    port: e.port,
    tls: e.tls,
    exitOnExceptions: e.exit_on_exceptions,
  };
}

type AuthDoc = NonNullable<FlowYamlDocument['with']>['auth'];
type LimitsDoc = NonNullable<FlowYamlDocument['with']>['limits'];
type InternalTlsDoc = NonNullable<FlowYamlDocument['with']>['internal_tls'];

const LIMITS_YAML: Record<string, keyof FlowLimits> = {
  headers_timeout_ms: 'headersTimeoutMs',
  request_timeout_ms: 'requestTimeoutMs',
  idle_timeout_ms: 'idleTimeoutMs',
  max_connections: 'maxConnections',
  max_concurrent_streams: 'maxConcurrentStreams',
  max_in_flight: 'maxInFlight',
  max_requests_per_connection: 'maxRequestsPerConnection',
  max_web_socket_connections: 'maxWebSocketConnections',
  body_limit: 'bodyLimit',
};

function authFromYaml(a: AuthDoc, base: string): FlowAuth | undefined {
  if (!a) return undefined;
  return prune({
    tokens: a.tokens,
    tokensFile: a.tokens_file === undefined ? undefined : resolve(base, a.tokens_file),
    publicHealth: a.public_health,
  });
}

function limitsFromYaml(l: LimitsDoc): FlowLimits | undefined {
  if (!l) return undefined;
  return Object.fromEntries(Object.entries(l).map(([k, v]) => [LIMITS_YAML[k]!, v]));
}

function internalTlsFromYaml(t: InternalTlsDoc, base: string): TlsFiles | undefined {
  if (!t) return undefined;
  return prune({
    certFile: resolve(base, t.cert_file),
    keyFile: resolve(base, t.key_file),
    caFile: t.ca_file === undefined ? undefined : resolve(base, t.ca_file),
  }) as TlsFiles;
}

function flowFromDocument(doc: FlowYamlDocument, base: string, override: Partial<FlowOptions> = {}): Flow {
  const w = { ...doc.gateway, ...doc.with };
  if (w.ssl_cafile !== undefined && w.ssl_certfile === undefined)
    throw new ConfigError('with: ssl_cafile (mutual TLS) needs ssl_certfile and ssl_keyfile');
  const options: FlowOptions = {
    protocol: lower(w.protocol),
    port: w.port,
    host: w.host,
    tls:
      w.ssl_certfile && w.ssl_keyfile
        ? (prune({
            certFile: resolve(base, w.ssl_certfile),
            keyFile: resolve(base, w.ssl_keyfile),
            caFile: w.ssl_cafile === undefined ? undefined : resolve(base, w.ssl_cafile),
          }) as TlsFiles)
        : undefined,
    internalTls: internalTlsFromYaml(doc.with?.internal_tls, base),
    auth: authFromYaml(w.auth, base),
    limits: limitsFromYaml(w.limits),
    cors: w.cors,
    prefetch: w.prefetch,
    monitoring: w.monitoring || w.port_monitoring ? { port: w.port_monitoring ?? 9090 } : undefined,
    timeoutReady: doc.with?.timeout_ready,
    timeoutSend: doc.with?.timeout_send,
    env: stringEnv(doc.with?.env),
    restart: doc.with?.restart,
    baseDir: base,
    ...override,
  };
  if ((w.ssl_certfile === undefined) !== (w.ssl_keyfile === undefined)) {
    throw new ConfigError('with: give both ssl_certfile and ssl_keyfile for TLS, or neither');
  }
  const flow = new Flow(options);
  for (const e of doc.executors) flow.add(deploymentFromYaml(e, base));
  return flow.validate();
}

function deploymentFromDocument(doc: DeploymentYamlDocument, base: string): Deployment {
  const w = doc.with;
  return new Deployment({
    ...deploymentFromYaml(w, base),
    protocol: lower(w.protocol),
    includeGateway: w.include_gateway,
    restart: w.restart,
    auth: authFromYaml(w.auth, base),
    limits: limitsFromYaml(w.limits),
    internalTls: internalTlsFromYaml(w.internal_tls, base),
    baseDir: base,
  });
}

/** Loads a `jtype: Flow` or `jtype: Deployment` YAML file. */
export async function loadYaml(file: string, options: LoadYamlOptions = {}): Promise<Flow | Deployment> {
  const doc = await readYaml(file, options);
  const base = dirname(resolve(file));
  try {
    return doc.jtype === 'Flow'
      ? flowFromDocument(doc, base, options.override)
      : deploymentFromDocument(doc, base);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${file}: ${err.message}`);
    throw err;
  }
}

/**
 * Loads a Flow from a YAML file with Jina's keys (`jtype: Flow`, `with:`, `executors:`,
 * `uses_with`, `needs`, `when`, `polling`, …). `uses` paths resolve relative to the YAML file.
 */
export async function loadFlowYaml(file: string, options: LoadYamlOptions = {}): Promise<Flow> {
  const x = await loadYaml(file, options);
  if (!(x instanceof Flow))
    throw new ConfigError(`${file} is a Deployment, not a Flow; use 'weft deployment --uses ${file}'`);
  return x;
}

/** Loads a Deployment from a `jtype: Deployment` YAML file. */
export async function loadDeploymentYaml(file: string, options: LoadYamlOptions = {}): Promise<Deployment> {
  const x = await loadYaml(file, options);
  if (!(x instanceof Deployment))
    throw new ConfigError(`${file} is a Flow, not a Deployment; use 'weft flow --uses ${file}'`);
  return x;
}

/** `uses` as YAML writes it: a specifier relative to the YAML file's folder. */
function usesText(uses: Uses, spec: { baseDir: string; creator?: string }, dir: string): string {
  const { module, exportName } = resolveUses(uses, spec.baseDir, spec.creator);
  if (!module.startsWith('file:')) return `${module}#${exportName}`;
  let rel = relative(dir, fileURLToPath(module)).split(sep).join('/');
  if (!rel.startsWith('.')) rel = `./${rel}`;
  return `${rel}#${exportName}`;
}

function prune<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function entryYaml(
  d: NormalizedDeployment,
  spec: { baseDir: string; creator?: string },
  dir: string,
  chainedFrom?: string,
) {
  const needs =
    d.needs.length === 1 && d.needs[0] === chainedFrom
      ? undefined
      : d.needs.length === 1
        ? d.needs[0]
        : [...d.needs];
  return prune({
    name: d.name,
    uses: d.uses === undefined ? undefined : usesText(d.uses, spec, dir),
    needs,
    replicas: d.replicas === 1 ? undefined : d.replicas,
    shards: d.shards === 1 ? undefined : d.shards,
    polling: d.polling === 'ANY' ? undefined : d.polling,
    when: d.when,
    floating: d.floating || undefined,
    no_reduce: d.noReduce || undefined,
    uses_with: d.usesWith,
    uses_metas: d.usesMetas,
    uses_before: d.usesBefore === undefined ? undefined : usesText(d.usesBefore, spec, dir),
    uses_after: d.usesAfter === undefined ? undefined : usesText(d.usesAfter, spec, dir),
    timeout_send: d.timeoutSend,
    timeout_ready: d.timeoutReady,
    retries: d.retries,
    env: d.env,
    workspace: d.workspace,
    external: d.external || undefined,
    host: d.host,
    port: d.port,
    tls: d.tls,
    exit_on_exceptions: d.exitOnExceptions,
  });
}

/** A file path as YAML writes it: relative to the YAML file's folder. */
function pathText(path: string | undefined, dir: string): string | undefined {
  if (path === undefined) return undefined;
  let rel = relative(dir, resolve(path)).split(sep).join('/');
  if (!rel.startsWith('.')) rel = `./${rel}`;
  return rel;
}

function authYaml(a: FlowAuth | undefined, dir: string) {
  if (!a) return undefined;
  return prune({
    tokens: a.tokens?.length ? [...a.tokens] : undefined,
    tokens_file: pathText(a.tokensFile, dir),
    public_health: a.publicHealth,
  });
}

function limitsYaml(l: FlowLimits | undefined) {
  if (!l) return undefined;
  const back = Object.fromEntries(Object.entries(LIMITS_YAML).map(([y, k]) => [k, y]));
  const out = prune(Object.fromEntries(Object.entries(l).map(([k, v]) => [back[k]!, v])));
  return Object.keys(out).length ? out : undefined;
}

function internalTlsYaml(t: TlsFiles | undefined, dir: string) {
  if (!t) return undefined;
  return prune({
    cert_file: pathText(t.certFile, dir),
    key_file: pathText(t.keyFile, dir),
    ca_file: pathText(t.caFile, dir),
  });
}

/**
 * The YAML text of a Flow or Deployment with Jina's keys; `uses` and file paths become relative
 * to `file`'s folder (classes resolve to the module that defines them). Tokens given inline in
 * `auth.tokens` are written as they are; keep them in `auth.tokensFile` to leave them out.
 */
export function toYaml(x: Flow | Deployment, file: string): string {
  const dir = dirname(resolve(file));
  if (x instanceof Deployment) {
    const d = x.spec;
    const { needs: _, ...entry } = entryYaml(d, { baseDir: dir }, dir, 'gateway');
    const o = x.runOptions;
    const gateway = prune({
      auth: authYaml(o.auth, dir),
      limits: limitsYaml(o.limits),
      internal_tls: internalTlsYaml(o.internalTls, dir),
    });
    return stringify({ jtype: 'Deployment', with: { ...entry, ...gateway } });
  }
  const { options, deployments, baseDir, creator } = x.spec;
  const spec = { baseDir, creator };
  let last = 'gateway';
  const executors = deployments.map((d) => {
    const e = entryYaml(d, spec, dir, last);
    if (!d.floating) last = d.name;
    return e;
  });
  const w = prune({
    protocol: options.protocol,
    port: options.port,
    host: options.host,
    ssl_certfile: pathText(options.tls?.certFile, dir),
    ssl_keyfile: pathText(options.tls?.keyFile, dir),
    ssl_cafile: pathText(options.tls?.caFile, dir),
    auth: authYaml(options.auth, dir),
    limits: limitsYaml(options.limits),
    internal_tls: internalTlsYaml(options.internalTls, dir),
    cors: options.cors,
    prefetch: options.prefetch,
    port_monitoring: options.monitoring?.port,
    timeout_ready: options.timeoutReady,
    timeout_send: options.timeoutSend,
    env: options.env,
    restart: options.restart,
  });
  return stringify(prune({ jtype: 'Flow', with: Object.keys(w).length ? w : undefined, executors }));
}

/** Writes a Flow or Deployment as YAML (see {@link toYaml}). */
export async function saveYaml(x: Flow | Deployment, file: string): Promise<void> {
  await writeFile(file, toYaml(x, file));
}
