import { create } from '@bufbuild/protobuf';
import type { ConnectRouter } from '@connectrpc/connect';
import { compressionGzip, connectNodeAdapter } from '@connectrpc/connect-node';
import {
  type DataRequestProto,
  JinaGatewayDryRunRPC,
  JinaRPC,
  JinaSingleDataRequestRPC,
  JinaSingleDocumentRequestRPC,
  StatusProtoSchema,
} from '@weft/proto';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';

/** What the raw server saw. */
export interface Seen {
  headers: Record<string, string>[];
  requests: DataRequestProto[];
}

/**
 * A bare connect-node gRPC server standing in for a gateway: echoes requests (adding a tag with
 * the `authorization` header), accepts gzip, answers dry_run, and streams `tags.n` copies of a
 * document on stream_doc. Used where the real gateway does not (yet) do what a test needs.
 */
export async function startRawGateway(tls?: {
  cert: string;
  key: string;
  requestCert?: boolean;
  ca?: string;
}) {
  const seen: Seen = { headers: [], requests: [] };
  const record = (h: Headers) => seen.headers.push(Object.fromEntries(h.entries()));
  const routes = (router: ConnectRouter) => {
    router.service(JinaRPC, {
      async *call(reqs, ctx) {
        record(ctx.requestHeader);
        for await (const r of reqs) {
          seen.requests.push(r);
          yield r;
        }
      },
    });
    router.service(JinaSingleDataRequestRPC, {
      process_single_data(r, ctx) {
        record(ctx.requestHeader);
        seen.requests.push(r);
        return r;
      },
    });
    router.service(JinaGatewayDryRunRPC, { dry_run: () => create(StatusProtoSchema, {}) });
    router.service(JinaSingleDocumentRequestRPC, {
      async *stream_doc(r) {
        const n = Number(r.document?.tags?.n ?? 1);
        for (let i = 0; i < n; i++) {
          yield {
            header: r.header,
            document: {
              ...r.document!,
              content: { case: 'text' as const, value: `${r.document?.content.value}-${i}` },
            },
          };
        }
      },
    });
  };
  const handler = connectNodeAdapter({ routes, acceptCompression: [compressionGzip] });
  const server = tls
    ? http2.createSecureServer(
        {
          cert: tls.cert,
          key: tls.key,
          requestCert: tls.requestCert,
          ca: tls.ca,
          rejectUnauthorized: tls.requestCert,
        },
        handler,
      )
    : http2.createServer(handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
    s.on('error', () => {});
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sessions) s.destroy();
        server.close(() => r());
      }),
  };
}
