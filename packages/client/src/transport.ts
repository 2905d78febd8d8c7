import type { Document } from '@weft/docarray';
import type { DataRequestProto, StatusProto } from '@weft/proto';

/** Options of one call on a transport. */
export interface CallOptions {
  /** Aborts the call (user signal, `timeoutMs`, or the end of the post). */
  signal: AbortSignal;
  /** Extra headers / gRPC metadata. */
  headers: Readonly<Record<string, string>>;
}

/**
 * An open bidirectional session (gRPC `Call`, a WebSocket): requests are pushed with `send`
 * (synchronously queued), responses arrive in any order on `responses`.
 */
export interface DuplexSession {
  /** Queues a request; a no-op once the session failed (the engine re-sends on a new one). */
  send(req: DataRequestProto): void;
  /** No more requests. */
  end(): void;
  /** Responses as they arrive; ends when the gateway ended the session, throws on failure. */
  readonly responses: AsyncIterable<DataRequestProto>;
}

/** The low-level protocol a Client speaks; one per protocol (grpc, http, websocket). */
export interface ClientTransport {
  /** `grpc://host:port`-style address for messages. */
  readonly address: string;
  /** Whether the transport uses TLS. */
  readonly tls: boolean;
  /** One request, one response (gRPC `process_single_data`, HTTP `POST /post`). */
  unary?(req: DataRequestProto, call: CallOptions): Promise<DataRequestProto>;
  /** A bidirectional session (gRPC `JinaRPC.Call`, WebSocket). */
  open?(call: CallOptions): DuplexSession;
  /** The gateway's dry run: SUCCESS when every deployment answers. */
  dryRun(call: CallOptions): Promise<StatusProto>;
  /** Calls a streaming endpoint with one document; yields one document per executor yield. */
  streamDoc?(
    endpoint: string,
    doc: Document,
    extra: { parameters?: Record<string, unknown>; targetExecutor?: string },
    call: CallOptions,
  ): AsyncIterable<Document>;
  /** Releases connections. */
  close(): void;
}
