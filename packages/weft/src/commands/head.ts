import type { Command } from 'commander';
import * as gateway from '@weft/gateway';
import { intArg, jsonArg, UsageError } from './args.js';

const isShards = (v: unknown): v is string[][] =>
  Array.isArray(v) &&
  v.length > 0 &&
  v.every((s) => Array.isArray(s) && s.length > 0 && s.every((a) => typeof a === 'string'));

const isPolling = (v: unknown): v is 'ANY' | 'ALL' | Record<string, 'ANY' | 'ALL'> =>
  v === 'ANY' ||
  v === 'ALL' ||
  (!!v && typeof v === 'object' && Object.values(v).every((m) => m === 'ANY' || m === 'ALL'));

type StartHead = (o: Record<string, unknown>) => Promise<{ port: number; close(): Promise<void> }>;

/** Registers `weft head`: the entry of a sharded deployment (used by Kubernetes and Compose exports). */
export function registerHead(program: Command): void {
  program
    .command('head')
    .description("serve a sharded deployment's head: fan requests out to shards (ANY or ALL) and reduce")
    .requiredOption('--name <name>', 'deployment name')
    .requiredOption(
      '--shards <json>',
      'replica addresses of each shard: \'[["a:8080"],["b:8080"]]\'',
      jsonArg('--shards', 'a list of address lists', isShards),
    )
    .option('--port <port>', 'port to listen on', intArg('--port', 0), 0)
    .option('--host <host>', 'interface to bind', '0.0.0.0')
    .option(
      '--polling <ANY|ALL|json>',
      '\'ANY\', \'ALL\' or per endpoint \'{"/search": "ALL", "*": "ANY"}\'',
      (t: string) =>
        jsonArg(
          '--polling',
          "'ANY', 'ALL' or an endpoint map",
          isPolling,
        )(t === 'ANY' || t === 'ALL' ? JSON.stringify(t) : t),
    )
    .option('--uses-before <address>', 'executor to run before fan-out')
    .option('--uses-after <address>', 'executor to run after gathering (replaces the reduce)')
    .option('--timeout-send <ms>', 'deadline of each call to a shard', intArg('--timeout-send', 1))
    .option('--retries <n>', 'attempts across the replicas of a shard', intArg('--retries', 1))
    .option('--ssl-certfile <file>', 'internal TLS: serve over TLS and call the shards over TLS (PEM)')
    .option('--ssl-keyfile <file>', 'key (PEM) of --ssl-certfile')
    .option(
      '--ssl-cafile <file>',
      'the CA of the internal certificates: verify shards with it, require client certificates signed by it',
    )
    .addHelpText(
      'after',
      `\nExample:\n  $ weft head --name indexer --port 8080 --shards '[["indexer-0:8080"],["indexer-1:8080"]]' --polling ALL`,
    )
    .action(
      async (o: {
        name: string;
        shards: string[][];
        port: number;
        host: string;
        polling?: 'ANY' | 'ALL';
        usesBefore?: string;
        usesAfter?: string;
        timeoutSend?: number;
        retries?: number;
        sslCertfile?: string;
        sslKeyfile?: string;
        sslCafile?: string;
      }) => {
        if ((o.sslCertfile === undefined) !== (o.sslKeyfile === undefined) || (o.sslCafile && !o.sslCertfile))
          throw new UsageError(
            'TLS needs both --ssl-certfile and --ssl-keyfile (and --ssl-cafile for mutual TLS)',
          );
        // startHead arrives with the gateway's shard heads; fail clearly on an older @weft/gateway.
        const startHead = (gateway as unknown as Record<string, StartHead | undefined>).startHead;
        if (typeof startHead !== 'function')
          throw new Error('this @weft/gateway has no startHead; upgrade @weft/gateway');
        const head = await startHead({
          name: o.name,
          port: o.port,
          host: o.host,
          shards: o.shards,
          polling: o.polling,
          usesBefore: o.usesBefore ? [o.usesBefore] : undefined,
          usesAfter: o.usesAfter ? [o.usesAfter] : undefined,
          timeoutSend: o.timeoutSend,
          retries: o.retries,
          tls:
            o.sslCertfile && o.sslKeyfile
              ? { certFile: o.sslCertfile, keyFile: o.sslKeyfile, caFile: o.sslCafile }
              : undefined,
        });
        console.log(
          `weft head: ${o.name} serving ${o.shards.length} shard(s) at ${o.sslCertfile ? 'grpcs' : 'grpc'}://${o.host}:${head.port}`,
        );
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await head.close();
      },
    );
}
