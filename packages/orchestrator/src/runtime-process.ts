import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { waitForServing } from '@weft/core/grpc';
import { type ChildMessage, ROLE_ENV, type Role } from './role.js';

// The built child entry: beside this file in dist/, or in dist/ when this file runs from src/ (tests).
const CHILD_ENTRY = ['./child.js', '../dist/child.js']
  .map((p) => fileURLToPath(new URL(p, import.meta.url)))
  .find((p) => existsSync(p))!;
const TAIL_LINES = 30;

/** Error thrown when a runtime fails to start. */
export class RuntimeStartError extends Error {
  override name = 'RuntimeStartError';
  /** The runtime that failed, e.g. `executor0/rep-1`. */
  readonly runtime: string;
  /** Its last log lines. */
  readonly logTail: readonly string[];

  constructor(runtime: string, message: string, logTail: readonly string[]) {
    const tail = logTail.length ? `\n--- last log lines of ${runtime} ---\n${logTail.join('\n')}` : '';
    super(`runtime '${runtime}' failed to start: ${message}${tail}`);
    this.runtime = runtime;
    this.logTail = logTail;
  }
}

let tsxLoader: string | undefined;
function loaderArgs(role: Role): string[] {
  if (role.kind !== 'executor' || !/\.[cm]?tsx?$/.test(new URL(role.module).pathname)) return [];
  tsxLoader ??= pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return ['--import', tsxLoader];
}

/** One forked runtime process (an executor replica or the gateway) with prefixed logs. */
export class RuntimeProcess {
  readonly name: string;
  readonly role: Role;
  #child: ChildProcess | undefined;
  #tail: string[] = [];
  #exited: Promise<number | null> | undefined;

  constructor(name: string, role: Role) {
    this.name = name;
    this.role = role;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get port(): number {
    return this.role.port;
  }

  /** Whether the process is running. */
  get alive(): boolean {
    return !!this.#child && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Forks the process and resolves once its health check says SERVING. */
  async start(timeoutReady: number): Promise<void> {
    const child = fork(CHILD_ENTRY, [], {
      env: { ...process.env, [ROLE_ENV]: JSON.stringify(this.role) },
      execArgv: loaderArgs(this.role),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.#child = child;
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.#tail.push(line);
        if (this.#tail.length > TAIL_LINES) this.#tail.shift();
        process.stderr.write(`${this.name} | ${line}\n`);
      });
    }
    this.#exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const outcome = await new Promise<{ ok: true } | { ok: false; message: string }>((resolve) => {
      const timer = setTimeout(
        () => resolve({ ok: false, message: `not ready within timeoutReady=${timeoutReady} ms` }),
        timeoutReady,
      );
      const done = (v: { ok: true } | { ok: false; message: string }) => {
        clearTimeout(timer);
        resolve(v);
      };
      child.on('message', (m: ChildMessage) => {
        if (m.type === 'ready') done({ ok: true });
        else if (m.type === 'failed') done({ ok: false, message: m.message });
      });
      child.once('exit', (code, signal) =>
        done({ ok: false, message: `exited with ${signal ?? `code ${code}`}` }),
      );
      child.once('error', (err) => done({ ok: false, message: err.message }));
    });
    if (outcome.ok) {
      const serving = await waitForServing(`127.0.0.1:${this.port}`, {
        timeoutMs: Math.min(timeoutReady, 10_000),
      });
      if (serving) return;
      await this.stop(1000);
      throw new RuntimeStartError(
        this.name,
        'its health check never answered SERVING',
        await this.#settledTail(),
      );
    }
    await this.stop(1000);
    throw new RuntimeStartError(this.name, outcome.message, await this.#settledTail());
  }

  async #settledTail(): Promise<string[]> {
    // Let the last lines of a dying process arrive.
    await new Promise((r) => setTimeout(r, 50));
    return [...this.#tail];
  }

  /** Sends SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs = 5000): Promise<void> {
    const child = this.#child;
    if (!child || !this.#exited) return;
    if (this.alive) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await this.#exited;
      clearTimeout(timer);
    }
    if (child.connected) child.disconnect();
  }

  /** Resolves with the exit code when the process ends. */
  exited(): Promise<number | null> {
    return this.#exited ?? Promise.resolve(null);
  }
}
