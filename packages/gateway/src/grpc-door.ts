import { setMaxListeners } from 'node:events';
import { create, toBinary } from '@bufbuild/protobuf';
import { Code, type ConnectRouter, ConnectError } from '@connectrpc/connect';
import { errorText, isErrorResponse } from '@weft/core';
import {
  decodeDataRequest,
  encodeDataRequest,
  type LeanBidiHandler,
  type LeanCallContext,
  type LeanMessage,
  type LeanUnaryHandler,
  registerHealth,
  type ServingStatus,
} from '@weft/core/grpc';
import {
  type DataRequestProto,
  DataRequestProtoSchema,
  EndpointsProtoSchema,
  JinaDiscoverEndpointsRPC,
  JinaGatewayDryRunRPC,
  JinaInfoRPC,
  JinaSingleDocumentRequestRPC,
  StatusProto_StatusCode,
  StatusProtoSchema,
} from '@weft/proto';
import { AsyncQueue } from './async-queue.js';
import { markHandled } from './grpc-listener.js';
import type { GatewayMetrics } from './metrics.js';
import type { Topology } from './topology.js';

/** Options of the gRPC door. */
export interface GrpcDoorOptions {
  /** Most requests in flight per `Call` stream. @default 1000 */
  prefetch?: number;
  /** Current serving status for health checks. */
  status: () => ServingStatus;
  metrics?: GatewayMetrics;
}

/** Versions reported by `_status` and `GET /status`. */
export function gatewayInfo() {
  return {
    jina: { weft: '0.1.0', 'proto-version': '1', node: process.version, runtime: 'gateway' },
    envs: {},
  };
}

/** Sends a request through the topology, counting it in the metrics of `door`. */
export async function observed(
  topology: Topology,
  metrics: GatewayMetrics | undefined,
  door: 'grpc' | 'http' | 'websocket',
  req: DataRequestProto,
  signal: AbortSignal | undefined,
  sizes = false,
): Promise<DataRequestProto> {
  const done = metrics?.begin(door, sizes ? toBinary(DataRequestProtoSchema, req).byteLength : 0);
  try {
    const res = await topology.process(req, signal);
    done?.(
      isErrorResponse(res) ? 'error' : 'ok',
      sizes ? toBinary(DataRequestProtoSchema, res).byteLength : 0,
    );
    return res;
  } catch (err) {
    done?.('failed');
    throw err;
  }
}

/** Answers a dry run: SUCCESS when every deployment answers `endpoint_discovery`, else ERROR naming the silent ones. */
export async function dryRun(topology: Topology, signal?: AbortSignal) {
  try {
    const names = topology.deployments;
    const answers = await Promise.all(names.map((n) => topology.pool(n)!.discoverEndpoints(3000)));
    if (signal?.aborted) throw new Error('dry run aborted');
    const silent = names.filter((_n, i) => answers[i] === undefined);
    if (silent.length) {
      return create(StatusProtoSchema, {
        code: StatusProto_StatusCode.ERROR,
        description: `deployments not answering: ${silent.join(', ')}`,
      });
    }
    return create(StatusProtoSchema, { code: StatusProto_StatusCode.SUCCESS });
  } catch (err) {
    return create(StatusProtoSchema, { code: StatusProto_StatusCode.ERROR, description: errorText(err) });
  }
}

/** The union of the endpoints the Flow's deployments bind. */
export async function flowEndpoints(topology: Topology): Promise<string[]> {
  const all = new Set<string>();
  const lists = await Promise.all(topology.deployments.map((n) => topology.endpointsOf(n)));
  for (const l of lists) for (const e of l ?? []) all.add(e);
  return [...all];
}

const CALL_PATH = '/jina.JinaRPC/Call';
const SINGLE_PATH = '/jina.JinaSingleDataRequestRPC/process_single_data';

/** The gRPC door: the hot RPCs as lean handlers over raw bytes, every other service through connect. */
export interface GrpcDoorHandlers {
  routes: (router: ConnectRouter) => void;
  unary: Record<string, LeanUnaryHandler>;
  bidi: Record<string, LeanBidiHandler>;
}

/**
 * The gateway's gRPC services over a topology. `process_single_data` and `Call` read requests
 * with their documents left encoded (header, parameters and routes decoded) and write responses
 * without re-encoding documents that nothing touched.
 */
export function grpcDoorHandlers(topology: Topology, options: GrpcDoorOptions): GrpcDoorHandlers {
  const prefetch = options.prefetch ?? 1000;
  const metrics = options.metrics;
  const single: LeanUnaryHandler = async (bytes, ctx) =>
    encodeDataRequest(await observed(topology, metrics, 'grpc', decodeDataRequest(bytes), ctx.signal));
  const call: LeanBidiHandler = (requests: AsyncIterable<Uint8Array>, ctx: LeanCallContext) => {
    // Every request in flight on this stream listens to the stream's signal.
    const signal = ctx.signal;
    setMaxListeners(prefetch + 16, signal);
    let slot: (() => void) | undefined;
    const wake = () => {
      const s = slot;
      slot = undefined;
      s?.();
    };
    // A response counts against prefetch until the client has taken it: a client that does
    // not read cannot make the gateway buffer without bound.
    const out = new AsyncQueue<LeanMessage>(wake);
    let inFlight = 0;
    let inputDone = false;
    const finish = () => {
      if (inputDone && inFlight === 0) out.end();
    };
    (async () => {
      try {
        for await (const bytes of requests) {
          while (inFlight + out.size >= prefetch) await new Promise<void>((r) => (slot = r));
          const req = decodeDataRequest(bytes);
          inFlight++;
          observed(topology, metrics, 'grpc', req, signal)
            .then(
              (res) => out.push(encodeDataRequest(res)),
              (err) => out.fail(ConnectError.from(err)),
            )
            .finally(() => {
              inFlight--;
              wake();
              finish();
            });
        }
        inputDone = true;
        finish();
      } catch (err) {
        // Reading the input failed: a message that does not decode is the client's fault.
        const ce = ConnectError.from(err);
        out.fail(
          ce.code === Code.Internal
            ? new ConnectError(`malformed request message: ${ce.rawMessage}`, Code.InvalidArgument)
            : ce,
        );
      }
    })();
    return out;
  };
  return {
    unary: { [SINGLE_PATH]: single },
    bidi: { [CALL_PATH]: call },
    routes: grpcDoorRoutes(topology, options),
  };
}

/** Registers the gateway's connect-served gRPC services (everything but the lean hot RPCs) over a topology. */
export function grpcDoorRoutes(topology: Topology, options: GrpcDoorOptions) {
  return (router: ConnectRouter) => {
    router.service(JinaSingleDocumentRequestRPC, {
      async *stream_doc(req, ctx) {
        markHandled(ctx.requestHeader);
        const names = topology.deployments;
        if (names.length !== 1) {
          throw new ConnectError(
            `stream_doc needs a Flow with exactly one deployment; this Flow has ${names.length} (${names.join(', ')})`,
            Code.FailedPrecondition,
          );
        }
        yield* topology.pool(names[0]!)!.streamDoc(req, { signal: ctx.signal });
      },
    });
    router.service(JinaDiscoverEndpointsRPC, {
      endpoint_discovery: async () =>
        create(EndpointsProtoSchema, { endpoints: await flowEndpoints(topology) }),
    });
    router.service(JinaGatewayDryRunRPC, {
      dry_run: (_req, ctx) => dryRun(topology, ctx.signal),
    });
    router.service(JinaInfoRPC, { _status: () => gatewayInfo() });
    registerHealth(router, options.status);
  };
}
