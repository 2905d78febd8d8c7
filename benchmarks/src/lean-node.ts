// One gRPC server process for the lean benchmarks; sends its port to the parent over IPC and
// exits when the parent goes away.
// Usage: tsx lean-node.ts lean|connect echo|forward [nextPort]
//   lean:    startLeanGrpcServer; forward = createLeanClient to the next port, bytes untouched.
//   connect: startGrpcServer + createWeftTransport (Weft's connect-node settings), decoded messages.
import { createClient } from '@connectrpc/connect';
import { createLeanClient, createWeftTransport, startGrpcServer, startLeanGrpcServer } from '@weft/core/grpc';
import { JinaSingleDataRequestRPC } from '@weft/proto';

const PATH = '/jina.JinaSingleDataRequestRPC/process_single_data';
const [stack, role, next] = process.argv.slice(2);
const nextUrl = `http://127.0.0.1:${next}`;

let server: { port: number; close(graceMs?: number): Promise<void> };
if (stack === 'lean') {
  const client = role === 'forward' ? createLeanClient(nextUrl) : undefined;
  server = await startLeanGrpcServer({
    unary: {
      [PATH]: client
        ? async (bytes, ctx) => (await client.unary(PATH, bytes, { signal: ctx.signal })).message
        : (bytes) => bytes,
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
