import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { createDataRequest } from '@weft/core';
import { type DataRequestProto, DataRequestProtoSchema, StatusProtoSchema } from '@weft/proto';
import { Channel } from './channel.js';
import { tlsErrorOf, TransportError } from './errors.js';
import type { ResolvedClientOptions } from './options.js';
import { requestToJson, responseFromJson } from './request-json.js';
import type { CallOptions, ClientTransport, DuplexSession } from './transport.js';

/** The subset of the WHATWG WebSocket the transport needs (browser WebSocket, or undici's in Node). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly protocol: string;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
}

/** Opens a WebSocket to `url` asking for `subprotocol`, with the call's headers where possible. */
export type WebSocketFactory = (
  url: string,
  subprotocol: string,
  headers: Record<string, string>,
) => WebSocketLike;

const END_JSON = '{}';
const END_BYTES = new Uint8Array([0]);

/** Close code → connect Code: 1011 carries `<CodeName>: message` from the Weft door. */
function closeError(address: string, code: number, reason: string, cause: unknown): TransportError {
  if (code === 1011) {
    const m = /^([A-Za-z]+): ?(.*)$/s.exec(reason);
    const named = m ? (Code as unknown as Record<string, number>)[m[1]!] : undefined;
    const c = named ?? Code.Unavailable;
    const text = m && named !== undefined ? m[2]! : reason;
    return new TransportError(`${address}: the gateway closed the WebSocket (1011) [${Code[c]}] ${text}`, c, {
      serverMessage: text,
      cause,
    });
  }
  const c =
    code === 1007 || code === 1003
      ? Code.InvalidArgument
      : code === 1009
        ? Code.ResourceExhausted
        : Code.Unavailable;
  return new TransportError(
    `${address}: the WebSocket closed with code ${code}${reason ? ` (${reason})` : ''} [${Code[c]}]`,
    c,
    { serverMessage: reason, cause, retryable: c === Code.Unavailable },
  );
}

/**
 * The WebSocket transport: one connection per post on path `/`, subprotocol `json` (text frames in
 * the `/post` body shape, `{}` ends the input) or `bytes` (binary DataRequestProto frames, a single
 * 0x00 byte ends it). Responses are matched by request id. Browser-safe.
 */
export function createWebSocketTransport(
  o: ResolvedClientOptions,
  factory: WebSocketFactory,
  dryRunVia?: ClientTransport['dryRun'],
  close = () => {},
  /** Explains a connection that closed before opening (Node: TLS probes); resolves to the error to report. */
  diagnose?: (err: TransportError) => Promise<TransportError>,
): ClientTransport {
  const url = `${o.tls ? 'wss' : 'ws'}://${o.hostPort}/`;
  const bytes = o.websocketSubprotocol === 'bytes';
  const open = (call: CallOptions): DuplexSession => {
    const out = new Channel<DataRequestProto>();
    const queue: (string | Uint8Array)[] = [];
    let ready = false;
    let lastError: unknown;
    let ws: WebSocketLike;
    try {
      ws = factory(url, o.websocketSubprotocol, { ...call.headers });
    } catch (err) {
      out.fail(
        new TransportError(
          `${o.address}: cannot open a WebSocket: ${(err as Error).message}`,
          Code.Unavailable,
          { cause: err },
        ),
      );
      return { send() {}, end() {}, responses: out };
    }
    ws.binaryType = 'arraybuffer';
    const write = (frame: string | Uint8Array) => {
      if (out.closed) return;
      if (ready) ws.send(frame);
      else queue.push(frame);
    };
    const onAbort = () => {
      try {
        ws.close(1000, 'client cancelled');
      } catch {
        // already closing
      }
      out.fail(call.signal.reason);
    };
    if (call.signal.aborted) onAbort();
    else call.signal.addEventListener('abort', onAbort, { once: true });
    ws.onopen = () => {
      ready = true;
      if (ws.protocol && ws.protocol !== o.websocketSubprotocol) {
        out.fail(
          new TransportError(
            `${o.address}: the gateway chose WebSocket subprotocol '${ws.protocol}', not '${o.websocketSubprotocol}'`,
            Code.FailedPrecondition,
            { retryable: false },
          ),
        );
        ws.close(1000);
        return;
      }
      for (const f of queue.splice(0)) ws.send(f);
    };
    ws.onmessage = (ev) => {
      try {
        const data = ev.data;
        if (typeof data === 'string') out.push(responseFromJson(JSON.parse(data)));
        else out.push(fromBinary(DataRequestProtoSchema, new Uint8Array(data as ArrayBuffer)));
      } catch (err) {
        out.fail(
          new TransportError(
            `${o.address}: a WebSocket frame is not a response: ${(err as Error).message}`,
            Code.Internal,
            {
              cause: err,
              retryable: false,
            },
          ),
        );
        ws.close(1000);
      }
    };
    ws.onerror = (ev) => {
      lastError = (ev as { error?: unknown })?.error ?? ev;
    };
    ws.onclose = (ev) => {
      call.signal.removeEventListener('abort', onAbort);
      if (ev.code === 1000) return out.end();
      const err =
        tlsErrorOf(lastError, { address: o.address, tls: o.tls }) ??
        closeError(o.address, ev.code, ev.reason, lastError);
      if (ready || !diagnose || call.signal.aborted) return out.fail(err);
      diagnose(err).then(
        (e) => out.fail(e),
        () => out.fail(err),
      );
    };
    return {
      send: (req) =>
        write(bytes ? toBinary(DataRequestProtoSchema, req) : JSON.stringify(requestToJson(req))),
      end: () => write(bytes ? END_BYTES : END_JSON),
      responses: out,
    };
  };
  return {
    address: o.address,
    tls: o.tls,
    open,
    dryRun:
      dryRunVia ??
      // Without an HTTP route, a dry run is one empty request through the Flow over the socket.
      (async (call) => {
        const s = open(call);
        s.send(createDataRequest({ endpoint: '/' }));
        s.end();
        for await (const res of s.responses) {
          return res.header?.status ?? create(StatusProtoSchema, {});
        }
        throw new TransportError(`${o.address}: no answer to the dry run`, Code.Unavailable);
      }),
    close,
  };
}
