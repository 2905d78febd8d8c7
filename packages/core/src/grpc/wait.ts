import { createClient } from '@connectrpc/connect';
import { Health, HealthCheckResponse_ServingStatus } from '@weft/proto';
import { createWeftTransport } from './transport.js';

/**
 * Polls `grpc.health.v1.Health/Check` at `host:port` until it answers SERVING.
 * Resolves true once serving; false when `timeoutMs` passes or `signal` aborts first.
 */
export async function waitForServing(
  address: string,
  options: {
    timeoutMs?: number;
    signal?: AbortSignal;
    intervalMs?: number;
    tls?: boolean;
    /** Client certificate and key (PEM) for servers that require mutual TLS. */
    clientCert?: { cert: string | Buffer; key: string | Buffer };
  } = {},
): Promise<boolean> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const t = createWeftTransport(`${options.tls ? 'https' : 'http'}://${address}`, {
    insecureSkipVerify: true,
    ...options.clientCert,
  });
  const client = createClient(Health, t.transport);
  try {
    while (Date.now() < deadline && !options.signal?.aborted) {
      try {
        const r = await client.check({}, { timeoutMs: Math.max(1, Math.min(1000, deadline - Date.now())) });
        if (r.status === HealthCheckResponse_ServingStatus.SERVING) return true;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
    }
    return false;
  } finally {
    t.close();
  }
}
