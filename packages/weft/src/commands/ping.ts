import { createClient } from '@connectrpc/connect';
import { Argument, type Command, InvalidArgumentError } from 'commander';
import { UsageError } from './args.js';
import { errorText, hostPort, parseAddress } from '@weft/core';
import { createWeftTransport, readTlsFiles, readTokensFile } from '@weft/core/grpc';
import { Health, HealthCheckResponse_ServingStatus } from '@weft/proto';

function positive(flag: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidArgumentError(`${flag} must be a positive integer; got ${text}`);
    return n;
  };
}

/** Credentials of a health check: a client certificate (mutual TLS) and a bearer token. */
export interface HealthCredentials {
  /** Client certificate and key (PEM) for runtimes that require mutual TLS. */
  clientCert?: { cert: string | Buffer; key: string | Buffer };
  /** Bearer token for a gateway whose health check is not public. */
  token?: string;
}

/**
 * One `grpc.health.v1.Health/Check` against `address` (`host:port`, `grpc://…` or `grpcs://…`):
 * 'SERVING', another status name, or an error text when the runtime cannot be reached in `timeoutMs`.
 * The server's certificate is not verified (a probe checks health, not identity).
 */
export async function checkHealth(
  address: string,
  timeoutMs: number,
  credentials: HealthCredentials = {},
): Promise<string> {
  const a = parseAddress(address);
  const t = createWeftTransport(`${a.tls ? 'https' : 'http'}://${hostPort(a.host, a.port)}`, {
    insecureSkipVerify: true,
    ...credentials.clientCert,
  });
  try {
    const headers: Record<string, string> = credentials.token
      ? { authorization: `Bearer ${credentials.token}` }
      : {};
    const r = await createClient(Health, t.transport).check({}, { timeoutMs, headers });
    return HealthCheckResponse_ServingStatus[r.status] ?? String(r.status);
  } catch (err) {
    return `unreachable (${errorText(err)})`;
  } finally {
    t.close();
  }
}

/** Registers `weft ping`: exit 0 when a runtime's gRPC health check answers SERVING, 1 otherwise. */
export function registerPingCommand(program: Command): void {
  program
    .command('ping')
    .description("check a runtime's gRPC health: exit 0 when it answers SERVING, 1 otherwise (for probes)")
    .addArgument(new Argument('<kind>', 'what runs there').choices(['executor', 'gateway', 'flow']))
    .argument('<address>', 'host:port, grpc://host:port or grpcs://host:port')
    .option('--timeout <ms>', 'time allowed per attempt', positive('--timeout'), 3000)
    .option('--attempts <n>', 'attempts before giving up (1 s apart)', positive('--attempts'), 1)
    .option('--ssl-certfile <file>', 'client certificate (PEM) for a runtime that requires mutual TLS')
    .option('--ssl-keyfile <file>', 'key (PEM) of --ssl-certfile')
    .option('--auth-tokens-file <file>', "send the file's first token (a gateway whose health is not public)")
    .addHelpText(
      'after',
      '\nExamples:\n  $ weft ping executor 127.0.0.1:8081 --timeout 1000\n  $ weft ping executor grpcs://127.0.0.1:8081 --ssl-certfile tls.crt --ssl-keyfile tls.key',
    )
    .action(
      async (
        kind: string,
        address: string,
        opts: {
          timeout: number;
          attempts: number;
          sslCertfile?: string;
          sslKeyfile?: string;
          authTokensFile?: string;
        },
      ) => {
        parseAddress(address); // a bad address is a usage error, not "unreachable"
        if ((opts.sslCertfile === undefined) !== (opts.sslKeyfile === undefined))
          throw new UsageError('give both --ssl-certfile and --ssl-keyfile, or neither');
        const credentials: HealthCredentials = {};
        if (opts.sslCertfile && opts.sslKeyfile) {
          const m = readTlsFiles({ certFile: opts.sslCertfile, keyFile: opts.sslKeyfile }, 'weft ping');
          credentials.clientCert = { cert: m.cert, key: m.key };
        }
        if (opts.authTokensFile)
          credentials.token = readTokensFile(opts.authTokensFile, '--auth-tokens-file')[0];
        let last = '';
        for (let i = 0; i < opts.attempts; i++) {
          if (i > 0) await new Promise((r) => setTimeout(r, 1000));
          last = await checkHealth(address, opts.timeout, credentials);
          if (last === 'SERVING') {
            console.log(`${kind} at ${address}: SERVING`);
            return;
          }
        }
        console.error(`${kind} at ${address}: ${last}`);
        process.exitCode = 1;
      },
    );
}
