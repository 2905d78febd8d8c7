// Baseline server for the seed-chain benchmark: a raw connect-node JinaSingleDataRequestRPC server.
// Role 'echo' answers with the request; role 'chain' calls the next addresses in sequence.
// Usage: tsx raw-echo-server.ts <port> echo | chain <addrB> <addrC>
import * as http2 from 'node:http2';
import { createClient } from '@connectrpc/connect';
import { connectNodeAdapter, createGrpcTransport } from '@connectrpc/connect-node';
import { JinaSingleDataRequestRPC } from '@weft/proto';

const [portText, role, ...next] = process.argv.slice(2);
const clients = next.map((addr) =>
  createClient(JinaSingleDataRequestRPC, createGrpcTransport({ baseUrl: `http://${addr}` })),
);
const handler = connectNodeAdapter({
  routes(router) {
    router.service(JinaSingleDataRequestRPC, {
      async process_single_data(req) {
        if (role === 'echo') return req;
        let r = req;
        for (const c of clients) r = await c.process_single_data(r);
        return r;
      },
    });
  },
});
const server = http2.createServer(handler);
server.listen(Number(portText), '127.0.0.1', () => process.send?.('ready'));
process.on('disconnect', () => process.exit(0));
