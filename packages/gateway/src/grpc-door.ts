import { create } from '@bufbuild/protobuf';
import { type ConnectRouter, ConnectError } from '@connectrpc/connect';
import { registerHealth, type ServingStatus } from '@weft/core/grpc';
import {
  type DataRequestProto,
  EndpointsProtoSchema,
  JinaDiscoverEndpointsRPC,
  JinaGatewayDryRunRPC,
  JinaInfoRPC,
  JinaRPC,
  JinaSingleDataRequestRPC,
  StatusProto_StatusCode,
  StatusProtoSchema,
} from '@weft/proto';
import { createDataRequest, errorText } from '@weft/core';
import { AsyncQueue } from './async-queue.js';
import type { Topology } from './topology.js';

/** Options of the gRPC door. */
export interface GrpcDoorOptions {
  /** Most requests in flight per `Call` stream. @default 1000 */
  prefetch?: number;
  /** Current serving status for health checks. */
  status: () => ServingStatus;
}

/** Registers the gateway's gRPC services over a topology. */
export function grpcDoorRoutes(topology: Topology, options: GrpcDoorOptions) {
  const prefetch = options.prefetch ?? 1000;
  return (router: ConnectRouter) => {
    router.service(JinaRPC, {
      call(requests, ctx) {
        const out = new AsyncQueue<DataRequestProto>();
        let inFlight = 0;
        let inputDone = false;
        let slot: (() => void) | undefined;
        const finish = () => {
          if (inputDone && inFlight === 0) out.end();
        };
        (async () => {
          try {
            for await (const req of requests) {
              while (inFlight >= prefetch) await new Promise<void>((r) => (slot = r));
              inFlight++;
              topology
                .process(req, ctx.signal)
                .then(
                  (res) => out.push(res),
                  (err) => out.fail(ConnectError.from(err)),
                )
                .finally(() => {
                  inFlight--;
                  const s = slot;
                  slot = undefined;
                  s?.();
                  finish();
                });
            }
            inputDone = true;
            finish();
          } catch (err) {
            out.fail(ConnectError.from(err));
          }
        })();
        return out;
      },
    });
    router.service(JinaSingleDataRequestRPC, {
      process_single_data: (req, ctx) => topology.process(req, ctx.signal),
    });
    router.service(JinaDiscoverEndpointsRPC, {
      async endpoint_discovery() {
        const all = new Set<string>();
        for (const name of topology.deployments)
          for (const e of (await topology.endpointsOf(name)) ?? []) all.add(e);
        return create(EndpointsProtoSchema, { endpoints: [...all] });
      },
    });
    router.service(JinaGatewayDryRunRPC, {
      async dry_run(_req, ctx) {
        try {
          const res = await topology.process(createDataRequest({ endpoint: '/' }), ctx.signal);
          return res.header?.status ?? create(StatusProtoSchema, { code: StatusProto_StatusCode.SUCCESS });
        } catch (err) {
          return create(StatusProtoSchema, {
            code: StatusProto_StatusCode.ERROR,
            description: errorText(err),
          });
        }
      },
    });
    router.service(JinaInfoRPC, {
      _status: () => ({ jina: { weft: '0.1.0', 'proto-version': '1', node: process.version }, envs: {} }),
    });
    registerHealth(router, options.status);
  };
}
