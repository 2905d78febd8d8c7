import type { ConnectRouter } from '@connectrpc/connect';
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from '@weft/proto';

export { ServingStatus };

/** Registers `grpc.health.v1.Health`, answering with whatever `status()` says at the time. */
export function registerHealth(router: ConnectRouter, status: () => ServingStatus): void {
  router.service(Health, {
    check: () => ({ status: status() }),
    async *watch(_req, ctx) {
      let last: ServingStatus | undefined;
      while (!ctx.signal.aborted) {
        const now = status();
        if (now !== last) {
          last = now;
          yield { status: now };
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    },
  });
}
