import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ConnectRouter, createClient } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { createWeftTransport } from '@weft/core/grpc';
import { JinaGatewayDryRunRPC, JinaSingleDataRequestRPC, JinaSingleDocumentRequestRPC } from '@weft/proto';

/**
 * A gRPC-web front (HTTP/1.1, CORS open) that forwards to a gateway's gRPC door, as Envoy's
 * grpc_web filter would: the deployment the client's `grpc-web` protocol is for.
 */
export async function startGrpcWebProxy(gatewayPort: number) {
  const t = createWeftTransport(`http://127.0.0.1:${gatewayPort}`);
  const single = createClient(JinaSingleDataRequestRPC, t.transport);
  const dry = createClient(JinaGatewayDryRunRPC, t.transport);
  const docs = createClient(JinaSingleDocumentRequestRPC, t.transport);
  const routes = (router: ConnectRouter) => {
    router.service(JinaSingleDataRequestRPC, {
      process_single_data: (req, ctx) => single.process_single_data(req, { signal: ctx.signal }),
    });
    router.service(JinaGatewayDryRunRPC, { dry_run: (req, ctx) => dry.dry_run(req, { signal: ctx.signal }) });
    router.service(JinaSingleDocumentRequestRPC, {
      stream_doc: (req, ctx) => docs.stream_doc(req, { signal: ctx.signal }),
    });
  };
  const handler = connectNodeAdapter({ routes, grpcWeb: true, grpc: false, connect: false });
  const cors = (res: ServerResponse) => {
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-allow-headers', '*');
    res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
    res.setHeader('access-control-expose-headers', 'grpc-status, grpc-message');
  };
  const server = createServer((req, res) => {
    cors(res);
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
        t.close();
      }),
  };
}
