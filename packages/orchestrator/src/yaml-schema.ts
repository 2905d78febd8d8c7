import { z } from 'zod';

// Jina keys Weft accepts and ignores (Python packaging and devices have no meaning here), so that a
// Jina flow.yml loads with only its `uses` changed.
const IGNORED_JINA_KEYS = [
  'py_modules',
  'install_requirements',
  'gpus',
  'upload_files',
  'output_array_type',
  'quiet',
  'quiet_error',
  'log_config',
  'description',
  'title',
  'grpc_server_options',
  'force_update',
  'compression',
] as const;
const ignored = Object.fromEntries(IGNORED_JINA_KEYS.map((k) => [k, z.unknown().optional()]));

const port = z.number().int().min(1).max(65535);
const ports = z.union([port, z.array(port).min(1)]);
const positiveMs = z.number().int().positive();
const pollingMode = z.enum(['ANY', 'ALL']);
const polling = z.union([pollingMode, z.record(z.string(), pollingMode)]);
const env = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
const obj = z.record(z.string(), z.unknown());
const protocol = z.enum(['grpc', 'http', 'websocket', 'GRPC', 'HTTP', 'WEBSOCKET']);

/** The keys of one deployment, shared by Flow `executors:` entries and `jtype: Deployment` `with:`. */
const deploymentKeys = {
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, _ . - only')
    .optional(),
  uses: z
    .string()
    .min(1)
    .optional()
    .describe("the Executor: './file.ts#ExportName', 'package#ExportName' or an executor YAML file"),
  replicas: z.number().int().min(1).optional(),
  shards: z.number().int().min(1).optional(),
  polling: polling.optional(),
  when: obj.optional().describe('a filter query; documents that do not match skip this deployment'),
  floating: z.boolean().optional(),
  no_reduce: z.boolean().optional(),
  disable_reduce: z.boolean().optional().describe('Jina alias of no_reduce'),
  uses_with: obj.optional(),
  uses_metas: obj.optional(),
  uses_before: z.string().min(1).optional(),
  uses_after: z.string().min(1).optional(),
  timeout_send: positiveMs.optional(),
  timeout_ready: positiveMs.optional(),
  retries: z.number().int().min(1).optional(),
  env: env.optional(),
  workspace: z.string().optional(),
  external: z.boolean().optional(),
  host: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
  port: ports.optional(),
  tls: z.boolean().optional(),
  exit_on_exceptions: z.array(z.string()).optional(),
  ...ignored,
};

/** One entry of a Flow's `executors:`. */
export const ExecutorEntryYaml = z.strictObject({
  ...deploymentKeys,
  needs: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
});

const file = z.string().min(1);
const positiveInt = z.number().int().positive();

/** Bearer tokens at the gateway (`auth:`). */
const auth = z
  .strictObject({
    tokens: z
      .array(z.string().regex(/^\S+$/, 'a token has no spaces'))
      .min(1)
      .optional()
      .describe('tokens that let a request in; prefer tokens_file or an ENV expression'),
    tokens_file: file.optional().describe('a file with one token per line, relative to this YAML file'),
    public_health: z
      .boolean()
      .optional()
      .describe('health checks and /metrics stay open without a token (default true)'),
  })
  .refine((a) => a.tokens !== undefined || a.tokens_file !== undefined, {
    message: 'give tokens or tokens_file',
  });

/** Gateway limits (`limits:`), see docs/reliability.md. */
const limits = z.strictObject({
  headers_timeout_ms: positiveInt.optional(),
  request_timeout_ms: positiveInt.optional(),
  idle_timeout_ms: positiveInt.optional(),
  max_connections: positiveInt.optional(),
  max_concurrent_streams: positiveInt.optional(),
  max_in_flight: positiveInt.optional(),
  max_requests_per_connection: positiveInt.optional(),
  max_web_socket_connections: positiveInt.optional(),
  body_limit: positiveInt.optional(),
});

/** TLS between the gateway, heads and executors (`internal_tls:`). */
const internalTls = z
  .strictObject({
    cert_file: file,
    key_file: file,
    ca_file: file.optional().describe('the CA that signed cert_file; makes internal TLS mutual'),
  })
  .describe('TLS between gateway, heads and executors, with one certificate for every runtime');

/** Gateway keys of a Flow's `with:`. */
const gatewayKeys = {
  protocol: z.union([protocol, z.array(protocol).min(1)]).optional(),
  port: ports.optional(),
  host: z.string().optional(),
  ssl_certfile: z.string().optional(),
  ssl_keyfile: z.string().optional(),
  ssl_cafile: z
    .string()
    .optional()
    .describe('clients must present a certificate signed by this CA (mutual TLS)'),
  auth: auth.optional(),
  limits: limits.optional(),
  cors: z.boolean().optional(),
  prefetch: z.number().int().min(0).optional(),
  monitoring: z.boolean().optional(),
  port_monitoring: port.optional(),
};

/** `jtype: Flow` documents. */
export const FlowYaml = z.strictObject({
  jtype: z.literal('Flow'),
  version: z.union([z.string(), z.number()]).optional(),
  with: z
    .strictObject({
      ...gatewayKeys,
      name: z.string().optional(),
      timeout_ready: positiveMs.optional(),
      timeout_send: positiveMs.optional(),
      env: env.optional(),
      restart: z.boolean().optional(),
      internal_tls: internalTls.optional(),
      ...ignored,
    })
    .optional(),
  gateway: z.strictObject({ ...gatewayKeys, ...ignored }).optional(),
  executors: z.array(ExecutorEntryYaml).default([]),
});

/** `jtype: Deployment` documents. */
export const DeploymentYaml = z.strictObject({
  jtype: z.literal('Deployment'),
  version: z.union([z.string(), z.number()]).optional(),
  with: z.strictObject({
    ...deploymentKeys,
    uses: z.string().min(1).describe("the Executor: './file.ts#ExportName' or an executor YAML file"),
    protocol: z.union([protocol, z.array(protocol).min(1)]).optional(),
    include_gateway: z.boolean().optional(),
    restart: z.boolean().optional(),
    auth: auth.optional(),
    limits: limits.optional(),
    internal_tls: internalTls.optional(),
  }),
});

/** Any Weft YAML document with a `jtype` of Flow or Deployment. */
export const WeftYaml = z.discriminatedUnion('jtype', [FlowYaml, DeploymentYaml]);

/** A parsed `jtype: Flow` document. */
export type FlowYamlDocument = z.infer<typeof FlowYaml>;
/** A parsed `jtype: Deployment` document. */
export type DeploymentYamlDocument = z.infer<typeof DeploymentYaml>;
/** A parsed `executors:` entry. */
export type ExecutorEntryDocument = z.infer<typeof ExecutorEntryYaml>;

/**
 * The JSON schema of Weft's Flow and Deployment YAML (draft 2020-12), for editors
 * (`# yaml-language-server: $schema=weft.schema.json`).
 */
export function yamlJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(WeftYaml, { io: 'input', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;
  return {
    ...schema,
    $id: 'https://weft.dev/schema/weft.schema.json',
    title: 'Weft Flow or Deployment YAML',
    description: "A Weft Flow (jtype: Flow) or Deployment (jtype: Deployment) with Jina's keys.",
  };
}
