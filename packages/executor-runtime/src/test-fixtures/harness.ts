// Starts a real runtime process for a test and stops it afterwards.
import { type ChildProcess, fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createWeftTransport, type WeftTransport } from '@weft/core/grpc';
import type { WorkerOptions } from '../index.js';

const ENTRY = fileURLToPath(new URL('./entry.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

/** A runtime process started by a test. */
export interface RuntimeChild {
  port: number;
  child: ChildProcess;
  /** Every line the process printed (stdout and stderr). */
  lines: string[];
  /** Resolves with the exit code (or signal) once the process ends. */
  exited: Promise<number | string | null>;
  /** A transport to the runtime (closed by stop()). */
  transport: WeftTransport['transport'];
  /** Sends SIGTERM (SIGKILL after 15 s) and waits for the exit. */
  stop(): Promise<number | string | null>;
}

/** Forks a runtime serving `options` (JSON-able) and resolves once it reports ready. */
export async function startRuntime(
  options: Omit<WorkerOptions, 'uses'> & { uses: string },
  env: Record<string, string> = {},
  readyTimeoutMs = 20_000,
): Promise<RuntimeChild> {
  const child = fork(ENTRY, [], {
    execArgv: ['--import', TSX],
    env: { ...process.env, WEFT_LOG_LEVEL: 'warn', ...env, WEFT_TEST_RUNTIME: JSON.stringify(options) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const lines: string[] = [];
  for (const s of [child.stdout!, child.stderr!])
    createInterface({ input: s }).on('line', (l) => lines.push(l));
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`runtime not ready within ${readyTimeoutMs} ms:\n${lines.join('\n')}`));
    }, readyTimeoutMs);
    child.on('message', (m: { type?: string; port?: number }) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve(m.port!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`runtime exited with ${code} before ready:\n${lines.join('\n')}`));
    });
  });
  const t = createWeftTransport(`http://127.0.0.1:${port}`);
  let stopping: Promise<number | string | null> | undefined;
  return {
    port,
    child,
    lines,
    exited,
    transport: t.transport,
    stop() {
      stopping ??= (async () => {
        t.close();
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
          const code = await exited;
          clearTimeout(force);
          if (child.connected) child.disconnect();
          return code;
        }
        if (child.connected) child.disconnect();
        return exited;
      })();
      return stopping;
    },
  };
}
