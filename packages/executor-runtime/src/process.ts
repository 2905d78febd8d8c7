import { type ExecutorTls, serveExecutorTls } from './tls.js';
import { type Worker, type WorkerOptions, serveExecutor } from './worker.js';

/** Options of {@link runExecutorProcess}. */
export interface ExecutorProcessOptions extends Omit<WorkerOptions, 'tls'> {
  /** Serve over TLS (with `caFile`, mutual TLS); see {@link serveExecutorTls}. @default plaintext */
  tls?: ExecutorTls;
  /** Called once the runtime serves (e.g. to print where). @default nothing */
  onReady?: (worker: Worker) => void;
}

/**
 * Runs one executor runtime as the whole process: serves it, and on SIGTERM or SIGINT (or the
 * loss of the parent's IPC channel) drains it with {@link Worker.close} and exits 0. A forked
 * process also sends `{ type: 'ready', port }` to its parent. This is what `weft executor` runs.
 *
 * @example
 * ```ts
 * await runExecutorProcess({ uses: './executors.ts#Encoder', port: 8081, host: '0.0.0.0' });
 * ```
 */
export async function runExecutorProcess(options: ExecutorProcessOptions): Promise<Worker> {
  const { tls, onReady: _, ...workerOptions } = options;
  const worker = tls ? await serveExecutorTls({ ...workerOptions, tls }) : await serveExecutor(workerOptions);
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    const grace = options.graceMs ?? 10_000;
    // Never hang on the way out: exit non-zero if draining overruns its grace period by far.
    setTimeout(() => process.exit(1), grace + 5000).unref();
    worker.executor.logger.info(`${why}: draining`);
    try {
      await worker.close(grace);
    } catch (err) {
      console.error(err);
      process.exit(1);
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  if (process.connected) process.on('disconnect', () => void stop('parent disconnected'));
  options.onReady?.(worker);
  if (process.connected) process.send?.({ type: 'ready', port: worker.port });
  return worker;
}
