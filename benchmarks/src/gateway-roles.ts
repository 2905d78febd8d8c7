// Server roles for the gateway benchmark, one per process:
//   tsx gateway-roles.ts executor <port>
//   tsx gateway-roles.ts gateway <json GatewayOptions>
//   tsx gateway-roles.ts fastify-proxy <port> <executor host:port>
// Each sends 'ready' with its port(s) over IPC and exits when its parent goes away.
import { create } from '@bufbuild/protobuf';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { createDataRequest, requestDocs } from '@weft/core';
import { DocumentArray } from '@weft/docarray';
import { serveExecutor } from '@weft/executor-runtime';
import { startGateway } from '@weft/gateway';
import { DataRequestProtoSchema, JinaSingleDataRequestRPC } from '@weft/proto';
import Fastify from 'fastify';
import pino from 'pino';
import { NoOp } from './noop-executor.js';

const [role, ...args] = process.argv.slice(2);
process.on('disconnect', () => process.exit(0));

if (role === 'executor') {
  const w = await serveExecutor({ uses: NoOp, name: 'noop', port: Number(args[0]) });
  process.send?.({ port: w.port });
} else if (role === 'gateway') {
  const g = await startGateway({ ...JSON.parse(args[0]!), logger: pino({ level: 'warn' }) });
  process.send?.({ port: g.port, ports: g.ports });
} else if (role === 'fastify-proxy') {
  // The baseline: a plain fastify JSON proxy in front of the executor: JSON → DataRequest → gRPC → JSON.
  const client = createClient(
    JinaSingleDataRequestRPC,
    createGrpcTransport({ baseUrl: `http://${args[1]}`, acceptCompression: [] }),
  );
  const app = Fastify({ bodyLimit: 100 * 1024 * 1024 });
  app.post('/post', async (req) => {
    const body = req.body as { data: unknown; execEndpoint?: string; parameters?: Record<string, never> };
    const res = await client.process_single_data(
      createDataRequest({
        endpoint: body.execEndpoint ?? '/',
        docs: DocumentArray.fromJSON(body.data),
        parameters: body.parameters,
      }),
    );
    return {
      header: { request_id: res.header?.requestId },
      parameters: res.parameters,
      data: requestDocs(res).toJSON(),
    };
  });
  await app.listen({ port: Number(args[0]), host: '127.0.0.1' });
  process.send?.({ port: (app.server.address() as { port: number }).port });
  void create(DataRequestProtoSchema);
} else {
  throw new Error(`unknown role '${role}'`);
}
