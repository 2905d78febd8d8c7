// One gRPC server process for the lean benchmarks; sends its port to the parent over IPC and
// exits when the parent goes away.
// Usage: tsx lean-node.ts lean|connect echo|forward|gateway [nextPort]
//   lean:    startLeanGrpcServer; forward = createLeanClient to the next port, bytes untouched;
//            gateway = forward, but reads and rewrites the head as a gateway does (a route stamped
//            on the way in and closed on the way out), documents passed on as bytes.
//   connect: startGrpcServer + createWeftTransport (Weft's connect-node settings), decoded messages.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { endRoute, startRoute } from '@weft/core';
import {
  createLeanClient,
  createWeftTransport,
  type LeanMessage,
  splitDataRequest,
  startGrpcServer,
  startLeanGrpcServer,
} from '@weft/core/grpc';
import { DataRequestProtoWoDataSchema, JinaSingleDataRequestRPC } from '@weft/proto';

const PATH = '/jina.JinaSingleDataRequestRPC/process_single_data';
const [stack, role, next] = process.argv.slice(2);
const nextUrl = `http://127.0.0.1:${next}`;

let server: { port: number; close(graceMs?: number): Promise<void> };
if (stack === 'lean') {
  const client = role === 'echo' ? undefined : createLeanClient(nextUrl);
  const forward = async (bytes: LeanMessage, signal: AbortSignal) =>
    (await client!.unary(PATH, bytes, { signal })).message;
  /** Gateway-like: stamp a route on the head, forward, close the route on the answer's head. */
  const gateway = async (bytes: Uint8Array, signal: AbortSignal): Promise<LeanMessage> => {
    const { head, data } = splitDataRequest(bytes);
    const h = fromBinary(DataRequestProtoWoDataSchema, head);
    const route = startRoute('gateway');
    h.routes.push(route);
    // [head, data]: written as one message without joining (copying) the documents.
    const answer = await forward([toBinary(DataRequestProtoWoDataSchema, h), data], signal);
    const back = splitDataRequest(answer);
    const a = fromBinary(DataRequestProtoWoDataSchema, back.head);
    const mine = a.routes.find((r) => r.executor === 'gateway');
    if (mine) endRoute(mine);
    return [toBinary(DataRequestProtoWoDataSchema, a), back.data];
  };
  server = await startLeanGrpcServer({
    unary: {
      [PATH]:
        role === 'echo'
          ? (bytes) => bytes
          : role === 'gateway'
            ? (bytes, ctx) => gateway(bytes, ctx.signal)
            : (bytes, ctx) => forward(bytes, ctx.signal),
    },
  });
} else {
  const t = role === 'forward' ? createWeftTransport(nextUrl) : undefined;
  const client = t ? createClient(JinaSingleDataRequestRPC, t.transport) : undefined;
  server = await startGrpcServer({
    routes: (router) =>
      router.service(JinaSingleDataRequestRPC, {
        process_single_data: client
          ? (req, ctx) => client.process_single_data(req, { signal: ctx.signal })
          : (req) => req,
      }),
  });
}
process.send?.({ port: server.port });
process.on('disconnect', () => process.exit(0));
