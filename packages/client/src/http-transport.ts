import { create } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { Document } from '@weft/docarray';
import { type DataRequestProto, StatusProtoSchema } from '@weft/proto';
import { plaintextToTlsError, TransportError, tlsPortAnswer } from './errors.js';
import type { ResolvedClientOptions } from './options.js';
import { requestToJson, responseFromJson } from './request-json.js';
import type { CallOptions, ClientTransport } from './transport.js';

/** The subset of WHATWG `fetch` the HTTP transport needs (global fetch, or undici's with a TLS agent). */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
) => Promise<{ status: number; text(): Promise<string>; body: ByteStream | null }>;

/** The part of a WHATWG `ReadableStream<Uint8Array>` the SSE reader uses. */
export interface ByteStream {
  getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; releaseLock(): void };
}

/** Parses a Server-Sent Events byte stream into `{event, data}` records. */
export async function* readEvents(body: ByteStream): AsyncGenerator<{ event: string; data: string }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || !value) break;
      buf += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let cut = buf.indexOf('\n\n');
      while (cut >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        yield { event, data: data.join('\n') };
        cut = buf.indexOf('\n\n');
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** HTTP status of the HTTP door → connect Code (semantics.md: 503 UNAVAILABLE, 504 DEADLINE_EXCEEDED). */
export function codeOfHttpStatus(status: number): Code {
  switch (status) {
    case 400:
    case 422:
      return Code.InvalidArgument;
    case 401:
      return Code.Unauthenticated;
    case 403:
      return Code.PermissionDenied;
    case 404:
      return Code.NotFound;
    case 413:
      return Code.ResourceExhausted;
    case 429:
      return Code.ResourceExhausted;
    case 502:
    case 503:
      return Code.Unavailable;
    case 504:
      return Code.DeadlineExceeded;
    default:
      return status >= 500 ? Code.Internal : Code.Unknown;
  }
}

async function failure(address: string, what: string, res: { status: number; text(): Promise<string> }) {
  const text = await res.text().catch(() => '');
  // A TLS front (nginx, Go) that got our plaintext request says so in a 400 page.
  const tlsPort = tlsPortAnswer(res.status, text);
  if (tlsPort) return plaintextToTlsError(address, `it answered HTTP 400 "${tlsPort}"`);
  let detail = text.slice(0, 500);
  try {
    const body = JSON.parse(text) as { detail?: unknown; message?: unknown };
    const d = body.detail ?? body.message;
    if (d !== undefined) detail = typeof d === 'string' ? d : JSON.stringify(d);
  } catch {
    // not JSON: keep the text
  }
  const code = codeOfHttpStatus(res.status);
  return new TransportError(
    `${address}: ${what} answered HTTP ${res.status} [${Code[code]}] ${detail}`,
    code,
    {
      serverMessage: detail,
      retryable: code === Code.Unavailable,
    },
  );
}

/**
 * The HTTP transport: `POST /post` per request with the JSON body of semantics.md, `GET /dry_run`.
 * Browser-safe: it only needs a `fetch`.
 */
export function createHttpTransport(
  o: ResolvedClientOptions,
  fetchImpl: FetchLike,
  close = () => {},
): ClientTransport {
  const base = `${o.tls ? 'https' : 'http'}://${o.hostPort}`;
  return {
    address: o.address,
    tls: o.tls,
    async unary(req: DataRequestProto, call: CallOptions) {
      const res = await fetchImpl(`${base}/post`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...call.headers },
        body: JSON.stringify(requestToJson(req)),
        signal: call.signal,
      });
      if (res.status !== 200) throw await failure(o.address, 'POST /post', res);
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new TransportError(
          `${o.address}: POST /post answered with a body that is not JSON`,
          Code.Internal,
          {
            retryable: false,
          },
        );
      }
      return responseFromJson(body);
    },
    async dryRun(call: CallOptions) {
      const res = await fetchImpl(`${base}/dry_run`, {
        method: 'GET',
        headers: { accept: 'application/json', ...call.headers },
        signal: call.signal,
      });
      if (res.status !== 200) throw await failure(o.address, 'GET /dry_run', res);
      const body = JSON.parse(await res.text()) as { code?: unknown; description?: unknown };
      return create(StatusProtoSchema, {
        code: body.code === 0 || body.code === 'SUCCESS' ? 0 : 1,
        description: typeof body.description === 'string' ? body.description : '',
      });
    },
    async *streamDoc(endpoint, doc, extra, call) {
      const body: Record<string, unknown> = {
        execEndpoint: endpoint,
        data: [doc.toJSON()],
        parameters: { __results__: {}, ...(extra.parameters ?? {}) },
      };
      if (extra.targetExecutor) body.targetExecutor = extra.targetExecutor;
      const res = await fetchImpl(`${base}/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...call.headers },
        body: JSON.stringify(body),
        signal: call.signal,
      });
      if (res.status !== 200 || !res.body) throw await failure(o.address, 'POST /stream', res);
      for await (const ev of readEvents(res.body)) {
        if (ev.event === 'update') yield Document.fromJSON(JSON.parse(ev.data) as Record<string, unknown>);
        else if (ev.event === 'end') return;
        else if (ev.event === 'error') {
          const e = JSON.parse(ev.data) as { detail?: string; code?: string };
          const code = (Code as unknown as Record<string, number>)[e.code ?? ''] ?? Code.Unknown;
          throw new TransportError(
            `${o.address}: POST /stream failed [${Code[code]}] ${e.detail ?? ''}`,
            code,
            {
              serverMessage: e.detail ?? '',
              retryable: false,
            },
          );
        }
      }
      throw new TransportError(`${o.address}: POST /stream ended without an end event`, Code.Unavailable);
    },
    close,
  };
}
