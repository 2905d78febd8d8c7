// The HTTP/2 floor: plain node:http2 servers and a client speaking gRPC framing over pre-encoded
// bytes. Nothing here decodes a message unless asked, so it is the least any gRPC hop can cost.
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { encodeFrame } from '@weft/core/grpc';
import { DataRequestProtoSchema } from '@weft/proto';

const WINDOW = 16 * 1024 * 1024;
const PATH = '/jina.JinaSingleDataRequestRPC/process_single_data';

function readAll(stream: http2.Http2Stream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/**
 * A unary gRPC client over one HTTP/2 session, sending already-framed bytes. The session opens on
 * first use and again after the server closed it (e.g. a gateway cutting a connection that
 * stayed silent past its headers timeout).
 */
export class FloorClient {
  readonly #port: number;
  #current: http2.ClientHttp2Session | undefined;
  constructor(port: number) {
    this.#port = port;
  }
  get #session(): http2.ClientHttp2Session {
    const s = this.#current;
    if (s && !s.closed && !s.destroyed) return s;
    const next = http2.connect(`http://127.0.0.1:${this.#port}`, {
      settings: { initialWindowSize: WINDOW },
      maxSessionMemory: 1024,
    });
    next.on('connect', () => next.setLocalWindowSize(WINDOW));
    next.on('error', () => {});
    this.#current = next;
    return next;
  }
  /** Sends one framed request to `path`; resolves with the framed response body. */
  async call(framed: Buffer, path = PATH): Promise<Buffer> {
    const stream = this.#session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc+proto',
      te: 'trailers',
    });
    stream.end(framed);
    const body = await readAll(stream);
    return body;
  }
  close(): void {
    this.#current?.close();
  }
}

/** What a floor server does with each request body (a framed message). */
export type FloorHandler = (framed: Buffer) => Promise<Buffer> | Buffer;

/** Starts a plain HTTP/2 gRPC-framed server; resolves with its port and a close function. */
export async function startFloorServer(handler: FloorHandler): Promise<{ port: number; close: () => void }> {
  const server = http2.createServer({ settings: { initialWindowSize: WINDOW }, maxSessionMemory: 1024 });
  server.on('session', (s) => {
    s.on('error', () => {});
    try {
      s.setLocalWindowSize(WINDOW);
    } catch {}
  });
  server.on('stream', async (stream) => {
    stream.on('error', () => {});
    const body = await readAll(stream);
    const out = await handler(body);
    stream.respond({ ':status': 200, 'content-type': 'application/grpc+proto' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(out);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => server.close(),
  };
}

/** Echo: answers with the request bytes. */
export const echo: FloorHandler = (b) => b;

/** Forward: sends the bytes to the next server and answers with its answer. */
export function forwardTo(port: number): FloorHandler {
  const c = new FloorClient(port);
  return (b) => c.call(b);
}

/** Decode + re-encode with protobuf-es: the floor for an executor that touches the documents. */
export const decodeEncode: FloorHandler = (b) => {
  const msg = fromBinary(DataRequestProtoSchema, b.subarray(5));
  return encodeFrame(toBinary(DataRequestProtoSchema, msg));
};
