import { readTlsFiles, startTlsFront, type TlsFileNames } from '@weft/core/grpc';
import { ExecutorStartError, serveExecutor, type Worker, type WorkerOptions } from './worker.js';

/**
 * TLS of an executor runtime: PEM certificate and key files; with `caFile`, mutual TLS (every
 * client, e.g. the gateway or a head, must present a certificate signed by that CA).
 */
export type ExecutorTls = TlsFileNames;

/** Options of {@link serveExecutorTls}. */
export interface TlsWorkerOptions extends WorkerOptions {
  /** Serve gRPC over TLS with these files; with `caFile`, require client certificates signed by it. */
  tls: ExecutorTls;
}

/**
 * Serves an Executor like {@link serveExecutor}, but over TLS on `host:port` (and with `tls.caFile`,
 * mutual TLS). The runtime's gRPC server itself listens in plaintext on a free port of 127.0.0.1,
 * behind a TLS front in the same process that forwards each decrypted connection to it; the
 * returned worker's `port` is the TLS port.
 *
 * @example
 * ```ts
 * const worker = await serveExecutorTls({
 *   uses: './executors.ts#Encoder', port: 8081, host: '0.0.0.0',
 *   tls: { certFile: 'tls.crt', keyFile: 'tls.key', caFile: 'ca.crt' },
 * });
 * ```
 */
export async function serveExecutorTls(options: TlsWorkerOptions): Promise<Worker> {
  const { tls, port, host, ...rest } = options;
  const material = readTlsFiles(tls, `executor ${options.runtimeName ?? options.name ?? ''}`.trim());
  const inner = await serveExecutor({ ...rest, port: 0, host: '127.0.0.1' });
  let front: Awaited<ReturnType<typeof startTlsFront>>;
  try {
    front = await startTlsFront({ port: port ?? 0, host, target: inner.port, tls: material });
  } catch (err) {
    await inner.close(0);
    throw new ExecutorStartError(
      `executor ${inner.runtimeName} cannot listen on ${host ?? '127.0.0.1'}:${port ?? 0}: ${(err as Error).message}; choose another port (0 picks a free one)`,
      { cause: err },
    );
  }
  let closing: Promise<void> | undefined;
  const worker: Worker = {
    port: front.port,
    executor: inner.executor,
    name: inner.name,
    runtimeName: inner.runtimeName,
    endpoints: inner.endpoints,
    close(graceMs?: number) {
      // The runtime drains first (in-flight requests finish on their connections), then the front goes.
      closing ??= inner.close(graceMs).finally(() => front.close(1000));
      return closing;
    },
    [Symbol.asyncDispose]: () => worker.close(),
  };
  return worker;
}
