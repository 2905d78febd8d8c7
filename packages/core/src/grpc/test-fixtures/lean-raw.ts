// Test helpers for the lean gRPC layer: a raw HTTP/2 gRPC caller that exposes every header,
// trailer and frame, so tests can check the protocol itself. Not exported from the package.
import * as http2 from 'node:http2';
import { encodeFrame, FrameReader } from '../lean-frame.js';

/** What a raw call saw. */
export interface RawAnswer {
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders | undefined;
  messages: Buffer[];
  rstCode: number | undefined;
}

/** The grpc-status of an answer, from trailers or a trailers-only response. */
export function statusOf(a: RawAnswer): { code: number; message: string | undefined } {
  const t = a.trailers?.['grpc-status'] !== undefined ? a.trailers : a.headers;
  return { code: Number(t['grpc-status']), message: t['grpc-message'] as string | undefined };
}

/** One HTTP/2 session to `port`, for raw gRPC calls. */
export function rawSession(port: number): http2.ClientHttp2Session {
  const s = http2.connect(`http://127.0.0.1:${port}`);
  s.on('error', () => {});
  return s;
}

/**
 * Sends `chunks` (already framed bytes, written one by one with a pause between) on a new stream
 * and collects the answer.
 */
export function rawCall(
  session: http2.ClientHttp2Session,
  path: string,
  chunks: Uint8Array[],
  extraHeaders: http2.OutgoingHttpHeaders = {},
  pauseMs = 0,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...extraHeaders,
    });
    const answer: RawAnswer = { headers: {}, trailers: undefined, messages: [], rstCode: undefined };
    const reader = new FrameReader(1 << 30);
    stream.on('response', (h) => {
      answer.headers = h;
    });
    stream.on('trailers', (t) => {
      answer.trailers = t;
    });
    stream.on('data', (c: Buffer) => reader.push(c, (m) => answer.messages.push(Buffer.from(m))));
    stream.on('error', () => {});
    stream.on('close', () => {
      answer.rstCode = stream.rstCode;
      resolve(answer);
    });
    void (async () => {
      for (const c of chunks) {
        if (stream.destroyed) return;
        stream.write(c);
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
      }
      if (!stream.destroyed) stream.end();
    })().catch(reject);
  });
}

/** Frames each message. */
export function frames(...messages: Uint8Array[]): Buffer[] {
  return messages.map((m) => encodeFrame(m));
}
