import { createClient } from '@connectrpc/connect';
import { Argument, type Command, InvalidArgumentError } from 'commander';
import { errorText, hostPort, parseAddress } from '@weft/core';
import { createWeftTransport } from '@weft/core/grpc';
import { Health, HealthCheckResponse_ServingStatus } from '@weft/proto';

function positive(flag: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidArgumentError(`${flag} must be a positive integer; got ${text}`);
    return n;
  };
}

/**
 * One `grpc.health.v1.Health/Check` against `address` (`host:port`, `grpc://…` or `grpcs://…`):
 * 'SERVING', another status name, or an error text when the runtime cannot be reached in `timeoutMs`.
 */
export async function checkHealth(address: string, timeoutMs: number): Promise<string> {
  const a = parseAddress(address);
  const t = createWeftTransport(`${a.tls ? 'https' : 'http'}://${hostPort(a.host, a.port)}`, {
    insecureSkipVerify: true,
  });
  try {
    const r = await createClient(Health, t.transport).check({}, { timeoutMs });
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
    .addHelpText('after', '\nExample:\n  $ weft ping executor 127.0.0.1:8081 --timeout 1000')
    .action(async (kind: string, address: string, opts: { timeout: number; attempts: number }) => {
      parseAddress(address); // a bad address is a usage error, not "unreachable"
      let last = '';
      for (let i = 0; i < opts.attempts; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 1000));
        last = await checkHealth(address, opts.timeout);
        if (last === 'SERVING') {
          console.log(`${kind} at ${address}: SERVING`);
          return;
        }
      }
      console.error(`${kind} at ${address}: ${last}`);
      process.exitCode = 1;
    });
}
