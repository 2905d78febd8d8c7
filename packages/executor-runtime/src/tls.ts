import { readTlsFiles, type TlsFileNames } from '@weft/core/grpc';
import { serveExecutor, type Worker, type WorkerOptions } from './worker.js';

/**
 * TLS of an executor runtime: PEM certificate and key files; with `caFile`, mutual TLS (every
 * client, e.g. the gateway or a head, must present a certificate signed by that CA).
 */
export type ExecutorTls = TlsFileNames;

/** Options of {@link serveExecutorTls}. */
export interface TlsWorkerOptions extends Omit<WorkerOptions, 'tls'> {
  /** Serve gRPC over TLS with these files; with `caFile`, require client certificates signed by it. */
  tls: ExecutorTls;
}

/**
 * Serves an Executor like {@link serveExecutor}, but over TLS on `host:port` (and with
 * `tls.caFile`, mutual TLS: a client without a certificate signed by it fails its handshake).
 * The files are read once, at start; a missing or unreadable one is a `ConfigError`.
 *
 * @example
 * ```ts
 * const worker = await serveExecutorTls({
 *   uses: './executors.ts#Encoder', port: 8081, host: '0.0.0.0',
 *   tls: { certFile: 'tls.crt', keyFile: 'tls.key', caFile: 'ca.crt' },
 * });
 * ```
 */
export function serveExecutorTls(options: TlsWorkerOptions): Promise<Worker> {
  const { tls, ...rest } = options;
  const material = readTlsFiles(tls, `executor ${options.runtimeName ?? options.name ?? ''}`.trim());
  return serveExecutor({ ...rest, tls: material });
}
