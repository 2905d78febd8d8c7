import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { Client } from '@weft/client';
import { ConfigError, parseAddress } from '@weft/core';
import { DocumentArray } from '@weft/docarray';
import { intArg, isObject, jsonArg } from './args.js';

async function readData(data: string | undefined): Promise<DocumentArray | undefined> {
  if (data === undefined) return undefined;
  const trimmed = data.trim();
  const text =
    trimmed.startsWith('[') || trimmed.startsWith('{')
      ? trimmed
      : await readFile(data, 'utf8').catch((err: NodeJS.ErrnoException) => {
          throw new ConfigError(
            `--data '${data}' is neither JSON ('[…]') nor a readable file: ${err.code === 'ENOENT' ? 'no such file' : err.message}`,
          );
        });
  try {
    return DocumentArray.fromJSON(text);
  } catch (err) {
    throw new ConfigError(`--data: ${(err as Error).message}`);
  }
}

/** Registers `weft client post`. */
export function registerClient(program: Command): void {
  const client = program.command('client').description('talk to a running Flow from the command line');
  client
    .command('post')
    .description('send documents to an endpoint and print the result as JSON')
    .requiredOption(
      '--url <url>',
      'the gateway: grpc(s)://, http(s):// or ws(s)://host:port (host:port means gRPC)',
    )
    .requiredOption('--on <endpoint>', 'the endpoint, e.g. /search')
    .option('--data <file.json|json>', 'documents: a JSON file, or inline JSON (\'[{"text": "hi"}]\')')
    .option(
      '--parameters <json>',
      'request parameters (a JSON object)',
      jsonArg('--parameters', 'an object', isObject),
    )
    .option('--target-executor <regex>', 'only run deployments whose name matches')
    .option('--request-size <n>', 'documents per request', intArg('--request-size', 0), 100)
    .option('--timeout <ms>', 'deadline of the whole call', intArg('--timeout', 1))
    .addHelpText(
      'after',
      `
Examples:
  $ weft client post --url grpc://127.0.0.1:12345 --on /search --data '[{"text": "hello"}]'
  $ weft client post --url 127.0.0.1:12345 --on /index --data docs.json --parameters '{"batch": 8}'

Prints the result documents as a JSON list on stdout; exit code 1 when the request fails.`,
    )
    .action(
      async (o: {
        url: string;
        on: string;
        data?: string;
        parameters?: Record<string, unknown>;
        targetExecutor?: string;
        requestSize: number;
        timeout?: number;
      }) => {
        parseAddress(o.url); // a clear error for a malformed URL before reading any data
        const docs = await readData(o.data);
        const c = new Client(o.url.includes('://') ? o.url : `grpc://${o.url}`);
        try {
          const r = await c.post(o.on, docs, {
            parameters: o.parameters as never,
            targetExecutor: o.targetExecutor,
            requestSize: o.requestSize,
            timeoutMs: o.timeout,
          });
          process.stdout.write(`${JSON.stringify(r.toJSON(), null, 2)}\n`);
        } finally {
          c.close();
        }
      },
    );
}
