import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { compressionGzip, createGrpcTransport } from '@connectrpc/connect-node';
import type { Document } from '@weft/docarray';
import { DEFAULT_MAX_MESSAGE_BYTES, GuardedHttp2SessionManager, HTTP2_WINDOW_BYTES } from '@weft/core/grpc';
import {
  type DataRequestProto,
  JinaGatewayDryRunRPC,
  JinaRPC,
  JinaSingleDataRequestRPC,
  JinaSingleDocumentRequestRPC,
} from '@weft/proto';
import { Channel } from './channel.js';
import { streamDocAnswer, streamDocRequest } from './stream-doc.js';
import { isDroppedConnection } from './errors.js';
import { expectsTlsError, speaksTls } from './tls-probe.js';
import type { ResolvedClientOptions } from './options.js';
import type { CallOptions, ClientTransport, DuplexSession } from './transport.js';

/** Node TLS options for the resolved client TLS settings. */
export function nodeTlsOptions(o: ResolvedClientOptions): Record<string, unknown> {
  if (!o.tls) return {};
  const t = o.tlsOptions;
  return {
    ...(t.ca !== undefined ? { ca: t.ca } : {}),
    ...(t.cert !== undefined ? { cert: t.cert } : {}),
    ...(t.key !== undefined ? { key: t.key } : {}),
    ...(t.serverName !== undefined ? { servername: t.serverName } : {}),
    ...(t.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
  };
}

/**
 * The gRPC transport (Node only): `JinaRPC.Call` for streams, `process_single_data` for unary
 * requests, `dry_run`, `stream_doc`, over one HTTP/2 session with large windows.
 */
export function createGrpcClientTransport(o: ResolvedClientOptions): ClientTransport {
  const baseUrl = `${o.tls ? 'https' : 'http'}://${o.hostPort}`;
  const gzip = o.compression === 'gzip';
  // One HTTP/2 session manager per "generation". After the connection is lost, calls move to a
  // fresh manager: a manager that went through failed reconnects can leave calls hanging.
  const makeGeneration = () => {
    const sessionManager = new GuardedHttp2SessionManager(
      baseUrl,
      { idleConnectionTimeoutMs: 60_000, pingIntervalMs: o.keepaliveMs, pingTimeoutMs: o.keepaliveMs },
      { maxSessionMemory: 1024, settings: { initialWindowSize: HTTP2_WINDOW_BYTES }, ...nodeTlsOptions(o) },
    );
    const transport = createGrpcTransport({
      baseUrl,
      sessionManager,
      acceptCompression: gzip ? [compressionGzip] : [],
      sendCompression: gzip ? compressionGzip : undefined,
      readMaxBytes: DEFAULT_MAX_MESSAGE_BYTES,
      writeMaxBytes: DEFAULT_MAX_MESSAGE_BYTES,
    });
    return {
      sessionManager,
      /** Aborted when this generation is retired: fails calls stuck anywhere in connect-node. */
      lost: new AbortController(),
      stream: createClient(JinaRPC, transport),
      single: createClient(JinaSingleDataRequestRPC, transport),
      dry: createClient(JinaGatewayDryRunRPC, transport),
      docs: createClient(JinaSingleDocumentRequestRPC, transport),
    };
  };
  type Generation = ReturnType<typeof makeGeneration>;
  let gen = makeGeneration();
  const connectionLost = (used: Generation, err: unknown, signal: AbortSignal) => {
    if (signal.aborted || used !== gen) return;
    const code = ConnectError.from(err).code;
    if (code !== Code.Unavailable && code !== Code.Canceled && code !== Code.Internal) return;
    gen = makeGeneration();
    // The old session is gone (or going): fail every call still waiting on it at once, so that
    // they are retried on the new one rather than hang on a dead HTTP/2 session.
    const lost = new ConnectError('the connection to the gateway was lost', Code.Unavailable);
    used.lost.abort(lost);
    used.sessionManager.abort(lost);
  };
  const opts = (c: CallOptions, g: Generation) => ({
    signal: AbortSignal.any([c.signal, g.lost.signal]),
    headers: c.headers,
  });
  // A plaintext client against a TLS gateway sees no answer, only its stream cancelled (Node's and
  // OpenSSL's TLS servers close without a word) or an HTTP/2 protocol error (fronts that answer
  // with a TLS alert or an HTTP/1.1 400): check whether the port speaks TLS before reporting a
  // plain transport error.
  const diagnose = async (used: Generation, err: unknown, signal: AbortSignal): Promise<unknown> => {
    connectionLost(used, err, signal);
    if (o.tls || signal.aborted) return err;
    if (ConnectError.from(err).code !== Code.Canceled && !isDroppedConnection(err)) return err;
    return (await speaksTls(o.host, o.port)) ? expectsTlsError(o.address, err) : err;
  };
  async function* watched<T>(
    used: Generation,
    responses: AsyncIterable<T>,
    signal: AbortSignal,
  ): AsyncGenerator<T> {
    let answered = false;
    try {
      for await (const r of responses) {
        answered = true;
        yield r;
      }
    } catch (err) {
      if (answered) {
        connectionLost(used, err, signal);
        throw err;
      }
      throw await diagnose(used, err, signal);
    }
  }
  return {
    address: o.address,
    tls: o.tls,
    unary(req: DataRequestProto, call: CallOptions) {
      const used = gen;
      return used.single.process_single_data(req, opts(call, used)).catch(async (err) => {
        throw await diagnose(used, err, call.signal);
      });
    },
    open(call: CallOptions): DuplexSession {
      const requests = new Channel<DataRequestProto>();
      call.signal.addEventListener('abort', () => requests.end(), { once: true });
      const used = gen;
      return {
        send: (req) => requests.push(req),
        end: () => requests.end(),
        responses: watched(used, used.stream.call(requests, opts(call, used)), call.signal),
      };
    },
    // isFlowReady turns any failure into false, so dry runs need no diagnosis.
    dryRun(call) {
      const used = gen;
      return used.dry.dry_run({}, opts(call, used)).catch((err) => {
        connectionLost(used, err, call.signal);
        throw err;
      });
    },
    async *streamDoc(endpoint, doc: Document, extra, call) {
      const req = streamDocRequest(endpoint, doc, extra);
      const used = gen;
      for await (const res of watched(used, used.docs.stream_doc(req, opts(call, used)), call.signal)) {
        const d = streamDocAnswer(res);
        if (d) yield d;
      }
    },
    close() {
      gen.sessionManager.abort();
    },
  };
}
