import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Code } from '@connectrpc/connect';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CallObserver } from './pool.js';
import type { AccessCheck } from './access.js';

/** The door a request came in through. */
export type Door = 'grpc' | 'http' | 'websocket';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The gateway's Prometheus metrics, in a registry of its own. */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #requests = new Counter({
    name: 'weft_gateway_requests_total',
    help: 'Requests answered by the gateway, by door and outcome (ok, error, failed).',
    labelNames: ['door', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly #latency = new Histogram({
    name: 'weft_gateway_request_duration_seconds',
    help: 'Time from a request entering a door to its response, by door.',
    labelNames: ['door'] as const,
    buckets: BUCKETS,
    registers: [this.registry],
  });
  readonly #pending = new Gauge({
    name: 'weft_gateway_pending_requests',
    help: 'Requests in flight in the gateway, by door.',
    labelNames: ['door'] as const,
    registers: [this.registry],
  });
  readonly #bytesIn = new Counter({
    name: 'weft_gateway_received_bytes_total',
    help: 'Request body bytes received, by door.',
    labelNames: ['door'] as const,
    registers: [this.registry],
  });
  readonly #bytesOut = new Counter({
    name: 'weft_gateway_sent_bytes_total',
    help: 'Response body bytes sent, by door.',
    labelNames: ['door'] as const,
    registers: [this.registry],
  });
  readonly #depCalls = new Counter({
    name: 'weft_gateway_deployment_calls_total',
    help: 'Calls from the gateway to a deployment replica, by deployment and gRPC code (0 = OK).',
    labelNames: ['deployment', 'code'] as const,
    registers: [this.registry],
  });
  readonly #depFailures = new Counter({
    name: 'weft_gateway_deployment_failures_total',
    help: 'Failed calls from the gateway to a deployment replica, by deployment.',
    labelNames: ['deployment'] as const,
    registers: [this.registry],
  });
  readonly #depLatency = new Histogram({
    name: 'weft_gateway_deployment_duration_seconds',
    help: 'Duration of one call to a deployment replica, by deployment.',
    labelNames: ['deployment'] as const,
    buckets: BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'weft_gateway_' });
  }

  /** Counts a request entering `door`; call the returned function when it is answered. */
  begin(door: Door, bytesIn = 0): (outcome: 'ok' | 'error' | 'failed', bytesOut?: number) => void {
    const t0 = performance.now();
    this.#pending.inc({ door });
    if (bytesIn) this.#bytesIn.inc({ door }, bytesIn);
    let done = false;
    return (outcome, bytesOut = 0) => {
      if (done) return;
      done = true;
      this.#pending.dec({ door });
      this.#requests.inc({ door, outcome });
      this.#latency.observe({ door }, (performance.now() - t0) / 1000);
      if (bytesOut) this.#bytesOut.inc({ door }, bytesOut);
    };
  }

  /** A pool observer that records deployment calls. */
  observer(): CallObserver {
    return {
      onCall: ({ deployment, ms, code }: { deployment: string; ms: number; code: Code | undefined }) => {
        this.#depCalls.inc({ deployment, code: String(code ?? 0) });
        if (code !== undefined) this.#depFailures.inc({ deployment });
        this.#depLatency.observe({ deployment }, ms / 1000);
      },
    };
  }
}

/** Serves `GET /metrics` (Prometheus text format) on its own port. */
export async function startMonitoring(
  metrics: GatewayMetrics,
  port: number,
  host: string,
  access?: AccessCheck,
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    if (access && !access.publicHealth) {
      // Plaintext on its own port: client certificates do not apply here, only the token.
      const why = await access.refuse(req.headers.authorization, 'monitoring', req.socket.remoteAddress, {
        authorized: true,
      });
      if (why !== undefined) {
        res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' });
        res.end(`unauthenticated: ${why}\n`);
        return;
      }
    }
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        (err) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(err));
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: metrics are at GET /metrics\n');
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
