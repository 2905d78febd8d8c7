import { createClient } from '@connectrpc/connect';
import { type UniversalClientFn, universalClientResponseFromFetch } from '@connectrpc/connect/protocol';
import { createTransport } from '@connectrpc/connect/protocol-grpc-web';
import {
  type DataRequestProto,
  JinaGatewayDryRunRPC,
  JinaSingleDataRequestRPC,
  JinaSingleDocumentRequestRPC,
} from '@weft/proto';
import { streamDocAnswer, streamDocRequest } from './stream-doc.js';
import { plaintextToTlsError, tlsPortAnswer } from './errors.js';
import type { ResolvedClientOptions } from './options.js';
import type { CallOptions, ClientTransport } from './transport.js';

/** Largest message sent or received over gRPC-web: 256 MiB, as on the other transports. */
const MAX_BYTES = 256 * 1024 * 1024;

/**
 * A connect HTTP client over `fetch` that sends the request body as one buffer: browsers cannot
 * stream request bodies over HTTP/1.1, and gRPC-web requests are a single message anyway.
 */
function bufferedFetchClient(fetchImpl: typeof fetch, address: string): UniversalClientFn {
  return async (req) => {
    let body: Uint8Array | undefined;
    if (req.body !== undefined) {
      const parts: Uint8Array[] = [];
      let n = 0;
      for await (const chunk of req.body) {
        parts.push(chunk);
        n += chunk.byteLength;
      }
      body = new Uint8Array(n);
      let at = 0;
      for (const p of parts) {
        body.set(p, at);
        at += p.byteLength;
      }
    }
    const res = await fetchImpl(req.url, {
      method: req.method,
      headers: req.header,
      body: body as RequestInit['body'],
      signal: req.signal,
      redirect: 'error',
    });
    if (res.status === 400 && !res.headers.get('content-type')?.startsWith('application/grpc-web')) {
      // A TLS front (nginx, Go) that got our plaintext request says so in a 400 page.
      const tlsPort = tlsPortAnswer(
        400,
        await res
          .clone()
          .text()
          .catch(() => ''),
      );
      if (tlsPort) throw plaintextToTlsError(address, `it answered HTTP 400 "${tlsPort}"`);
    }
    return universalClientResponseFromFetch(res);
  };
}

/**
 * The gRPC-web transport: unary `process_single_data` per request, `dry_run`, and `stream_doc`
 * (server streaming), over `fetch` and HTTP/1.1 or HTTP/2, for pages that call a gateway (or a
 * gRPC-web proxy such as Envoy in front of it) directly. gRPC-web has no client streaming, so
 * there is no `Call` stream: `stream` is ignored. Browser-safe.
 */
export function createGrpcWebTransport(o: ResolvedClientOptions, fetchImpl: typeof fetch): ClientTransport {
  const transport = createTransport({
    httpClient: bufferedFetchClient(fetchImpl, o.address),
    baseUrl: `${o.tls ? 'https' : 'http'}://${o.hostPort}`,
    useBinaryFormat: true,
    interceptors: [],
    acceptCompression: [],
    sendCompression: null,
    compressMinBytes: 1024,
    readMaxBytes: MAX_BYTES,
    writeMaxBytes: MAX_BYTES,
  });
  const single = createClient(JinaSingleDataRequestRPC, transport);
  const dry = createClient(JinaGatewayDryRunRPC, transport);
  const docs = createClient(JinaSingleDocumentRequestRPC, transport);
  const opts = (c: CallOptions) => ({ signal: c.signal, headers: c.headers });
  return {
    address: o.address,
    tls: o.tls,
    unary: (req: DataRequestProto, call: CallOptions) => single.process_single_data(req, opts(call)),
    dryRun: (call) => dry.dry_run({}, opts(call)),
    async *streamDoc(endpoint, doc, extra, call) {
      const req = streamDocRequest(endpoint, doc, extra);
      for await (const res of docs.stream_doc(req, opts(call))) {
        const d = streamDocAnswer(res);
        if (d) yield d;
      }
    },
    close: () => {},
  };
}
