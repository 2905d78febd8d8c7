/** Default largest message a Weft gRPC server or client accepts: 256 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/** HTTP/2 stream and connection window used on every Weft hop (large tensors move in few round trips). */
export const HTTP2_WINDOW_BYTES = 16 * 1024 * 1024;

/** A running gRPC server. */
export interface GrpcServer {
  /** The port it listens on. */
  readonly port: number;
  /** Stops accepting connections, waits up to `graceMs` for open streams, then destroys sessions. */
  close(graceMs?: number): Promise<void>;
}
