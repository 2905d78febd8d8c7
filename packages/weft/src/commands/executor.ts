import { type Command, InvalidArgumentError } from 'commander';
import { UsageError } from './args.js';
import { batchingFromYaml, type DynamicBatchingOptions, runExecutorProcess } from '@weft/executor-runtime';

function jsonObject(flag: string) {
  return (text: string): Record<string, unknown> => {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (err) {
      throw new InvalidArgumentError(
        `${flag} must be a JSON object, e.g. '{"k": 1}': ${(err as Error).message}`,
      );
    }
    if (!v || typeof v !== 'object' || Array.isArray(v)) {
      throw new InvalidArgumentError(`${flag} must be a JSON object, e.g. '{"k": 1}'; got ${text}`);
    }
    return v as Record<string, unknown>;
  };
}

function integer(flag: string, min: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`${flag} must be an integer ≥ ${min}; got ${text}`);
    return n;
  };
}

interface ExecutorCommandOptions {
  uses: string;
  port: number;
  host: string;
  name?: string;
  runtimeName?: string;
  usesWith?: Record<string, unknown>;
  usesMetas?: Record<string, unknown>;
  usesRequests?: Record<string, unknown>;
  usesDynamicBatching?: Record<string, unknown>;
  workspace?: string;
  replicas?: number;
  replicaId?: number;
  shards?: number;
  shardId?: number;
  allowConcurrent?: boolean;
  exitOnExceptions?: string[];
  graceMs: number;
  maxMessageBytes?: number;
  sslCertfile?: string;
  sslKeyfile?: string;
  sslCafile?: string;
}

/** Registers `weft executor`: serve one Executor as a gRPC microservice in the foreground. */
export function registerExecutorCommand(program: Command): void {
  program
    .command('executor')
    .description(
      'serve one Executor as a gRPC microservice in the foreground; SIGTERM or Ctrl-C drains it and exits 0',
    )
    .requiredOption(
      '--uses <spec>',
      "the Executor: './file.ts#Export', an Executor YAML file, or inline YAML",
    )
    .option('--port <port>', 'port to listen on (0 picks a free one)', integer('--port', 0), 0)
    .option('--host <host>', 'interface to bind (0.0.0.0 inside a container)', '127.0.0.1')
    .option(
      '--name <name>',
      'deployment name; `name__key` parameters address it (default: metas.name, else the class name)',
    )
    .option(
      '--runtime-name <name>',
      'runtime name for __results__ and logs (default: <name>/rep-<replica id>)',
    )
    .option('--uses-with <json>', 'constructor arguments, merged over YAML `with`', jsonObject('--uses-with'))
    .option('--uses-metas <json>', 'metas, merged over YAML `metas`', jsonObject('--uses-metas'))
    .option(
      '--uses-requests <json>',
      'endpoint → method rebindings, e.g. \'{"/foo": "bar"}\'',
      jsonObject('--uses-requests'),
    )
    .option(
      '--uses-dynamic-batching <json>',
      'endpoint → {preferred_batch_size, timeout}, e.g. \'{"/encode": {"preferred_batch_size": 32, "timeout": 50}}\'',
      jsonObject('--uses-dynamic-batching'),
    )
    .option('--workspace <dir>', "root workspace; the executor's folder is <dir>/<name>/<shard id>/")
    .option('--replicas <n>', 'replicas of the deployment', integer('--replicas', 1))
    .option('--replica-id <n>', "this runtime's replica", integer('--replica-id', 0))
    .option('--shards <n>', 'shards of the deployment', integer('--shards', 1))
    .option('--shard-id <n>', "this runtime's shard", integer('--shard-id', 0))
    .option('--allow-concurrent', 'run several requests at once (default: one at a time)')
    .option(
      '--exit-on-exceptions <names...>',
      'error names that make the runtime exit (code 1) after answering',
    )
    .option(
      '--grace-ms <ms>',
      'how long a drain waits for in-flight requests',
      integer('--grace-ms', 0),
      10_000,
    )
    .option(
      '--max-message-bytes <n>',
      'largest gRPC message received or sent (default 256 MiB)',
      integer('--max-message-bytes', 1),
    )
    .option('--ssl-certfile <file>', 'serve gRPC over TLS with this certificate (PEM)')
    .option('--ssl-keyfile <file>', 'key (PEM) of --ssl-certfile')
    .option('--ssl-cafile <file>', 'mutual TLS: callers must present a certificate signed by this CA (PEM)')
    .addHelpText(
      'after',
      `
Examples:
  $ weft executor --uses ./executors.ts#Encoder --port 8081
  $ weft executor --uses encoder.yml --port 8081 --uses-with '{"dim": 512}' --workspace ./ws
  $ weft ping executor 127.0.0.1:8081`,
    )
    .action(async (opts: ExecutorCommandOptions) => {
      const dynamicBatching: Record<string, DynamicBatchingOptions> = {};
      for (const [ep, v] of Object.entries(opts.usesDynamicBatching ?? {})) {
        dynamicBatching[ep] = batchingFromYaml(v, `--uses-dynamic-batching['${ep}']`);
      }
      if (
        (opts.sslCertfile === undefined) !== (opts.sslKeyfile === undefined) ||
        (opts.sslCafile && !opts.sslCertfile)
      )
        throw new UsageError(
          'TLS needs both --ssl-certfile and --ssl-keyfile (and --ssl-cafile for mutual TLS)',
        );
      for (const [ep, m] of Object.entries(opts.usesRequests ?? {})) {
        if (typeof m !== 'string')
          throw new Error(`--uses-requests['${ep}'] must be a method name; got ${JSON.stringify(m)}`);
      }
      await runExecutorProcess({
        uses: opts.uses,
        port: opts.port,
        host: opts.host,
        name: opts.name,
        runtimeName: opts.runtimeName,
        usesWith: opts.usesWith,
        usesMetas: opts.usesMetas as never,
        usesRequests: opts.usesRequests as Record<string, string> | undefined,
        usesDynamicBatching: dynamicBatching,
        workspace: opts.workspace,
        runtimeArgs: {
          replicas: opts.replicas,
          replicaId: opts.replicaId,
          shards: opts.shards,
          shardId: opts.shardId,
        },
        allowConcurrent: opts.allowConcurrent,
        exitOnExceptions: opts.exitOnExceptions,
        graceMs: opts.graceMs,
        maxMessageBytes: opts.maxMessageBytes,
        tls:
          opts.sslCertfile && opts.sslKeyfile
            ? { certFile: opts.sslCertfile, keyFile: opts.sslKeyfile, caFile: opts.sslCafile }
            : undefined,
        onReady: (w) =>
          console.log(
            `weft executor: ${w.runtimeName} serving ${w.endpoints.join(', ') || 'no endpoints (pass-through)'} at ${opts.sslCertfile ? 'grpcs' : 'grpc'}://${opts.host}:${w.port}`,
          ),
      });
    });
}
