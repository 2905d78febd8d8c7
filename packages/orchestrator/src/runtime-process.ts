import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readTlsFiles, waitForServing } from '@weft/core/grpc';
import { type ChildMessage, ROLE_ENV, type Role, type RuntimeSecrets, type SecretsMessage } from './role.js';

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

/** Lifecycle state of a runtime process. */
export type RuntimeState = 'new' | 'starting' | 'ready' | 'restarting' | 'stopping' | 'stopped' | 'failed';

/** @internal Options of a {@link RuntimeProcess}. */
export interface RuntimeProcessOptions {
  /** Extra environment variables. */
  env?: Readonly<Record<string, string>>;
  /** Where prefixed log lines go. */
  log?: (line: string) => void;
  /** Restart after an unexpected exit. */
  restart?: boolean;
  /** Readiness timeout of restarts, in ms. */
  timeoutReady?: number;
  /** Module URLs that need the tsx loader (TypeScript sources). */
  needsTsx?: boolean;
  /** Secrets handed to the child over IPC when it asks (never through its environment or argv). */
  secrets?: RuntimeSecrets;
}

// The first restart is immediate: a replica that ran fine and crashed once should rejoin at once.
const BACKOFF_MS = [0, 200, 400, 800, 1600, 3200, 5000];
const STABLE_MS = 10_000;

let tsxLoader: string | undefined;

/** The `--import` arguments that let a child load TypeScript modules. */
export function tsxArgs(): string[] {
  tsxLoader ??= pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return ['--import', tsxLoader];
}

/**
 * Node flags of every runtime process. A 4 MiB young-generation semi-space (V8's default grows to
 * 16 MiB) collects per-request garbage, and the network buffers it holds, sooner: under load a
 * gateway or executor then stays ~20 MB smaller (docs/performance.md). `WEFT_RUNTIME_NODE_ARGS`
 * (space-separated) adds flags after these, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile
 * a Flow's processes (Node refuses those in NODE_OPTIONS), or another `--max-semi-space-size`.
 */
function runtimeNodeArgs(): string[] {
  return [
    '--max-semi-space-size=4',
    ...(process.env.WEFT_RUNTIME_NODE_ARGS ?? '').split(' ').filter(Boolean),
  ];
}

/** One forked runtime process (executor replica, head or gateway): prefixed logs, readiness, restarts. */
export class RuntimeProcess {
  readonly name: string;
  readonly role: Role;
  readonly #options: RuntimeProcessOptions;
  #child: ChildProcess | undefined;
  #tail: string[] = [];
  #exited: Promise<number | null> | undefined;
  #state: RuntimeState = 'new';
  #restarts = 0;
  #attempt = 0;
  #readyAt = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(name: string, role: Role, options: RuntimeProcessOptions = {}) {
    this.name = name;
    this.role = role;
    this.#options = options;
  }

  /** The current process id. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** The port it serves (the same across restarts). */
  get port(): number {
    return this.role.port;
  }

  /** Lifecycle state. */
  get state(): RuntimeState {
    return this.#state;
  }

  /** How often it was restarted after crashing. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Whether the process is running. */
  get alive(): boolean {
    return !!this.#child && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** The last log lines. */
  get logTail(): readonly string[] {
    return [...this.#tail];
  }

  #log(line: string): void {
    this.#tail.push(line);
    if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    const text = `${this.name} | ${line}`;
    if (this.#options.log) this.#options.log(text);
    else process.stderr.write(`${text}\n`);
  }

  #fork(): ChildProcess {
    const child = fork(CHILD_ENTRY, [], {
      env: { ...process.env, ...this.#options.env, [ROLE_ENV]: JSON.stringify(this.role) },
      execArgv: [...(this.#options.needsTsx ? tsxArgs() : []), ...runtimeNodeArgs()],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.#child = child;
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => this.#log(line));
    }
    child.on('message', (m: ChildMessage) => {
      if (m.type !== 'secrets-request' || !child.connected) return;
      const answer: SecretsMessage = { type: 'secrets', secrets: this.#options.secrets ?? {} };
      // A child that died meanwhile must not turn into an 'error' event on the parent.
      child.send(answer, () => {});
    });
    this.#exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.once('exit', (code, signal) => this.#onExit(child, code, signal));
    return child;
  }

  async #awaitReady(child: ChildProcess, timeoutReady: number): Promise<string | undefined> {
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
    if (!outcome.ok) return outcome.message;
    const role = this.role;
    const grpc = role.kind !== 'gateway' || role.protocols[0] === 'grpc';
    // A gateway whose health check needs a token was checked by its own 'ready' already.
    const open = role.kind !== 'gateway' || role.auth?.publicHealth !== false;
    if (!grpc || !open) return undefined;
    let clientCert: { cert: Buffer | string; key: Buffer | string } | undefined;
    if (role.kind !== 'gateway' && role.tls?.caFile) {
      const m = readTlsFiles(role.tls, this.name);
      clientCert = { cert: m.cert, key: m.key };
    }
    const serving = await waitForServing(`127.0.0.1:${this.port}`, {
      timeoutMs: Math.min(timeoutReady, 10_000),
      tls: !!role.tls,
      clientCert,
    });
    return serving ? undefined : 'its health check never answered SERVING';
  }

  /** Forks the process and resolves once it reports ready and its health check says SERVING. */
  async start(timeoutReady: number): Promise<void> {
    this.#state = 'starting';
    const child = this.#fork();
    const failure = await this.#awaitReady(child, timeoutReady);
    if (failure === undefined) {
      this.#state = 'ready';
      this.#readyAt = Date.now();
      return;
    }
    this.#state = 'failed';
    await this.#kill(1000);
    throw new RuntimeStartError(this.name, failure, await this.#settledTail());
  }

  #onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.#child) return;
    if (this.#state !== 'ready' && this.#state !== 'restarting') return;
    if (!this.#options.restart) {
      this.#state = 'failed';
      this.#log(`exited with ${signal ?? `code ${code}`}; not restarting (restart is off)`);
      return;
    }
    if (Date.now() - this.#readyAt > STABLE_MS) this.#attempt = 0;
    const delay = BACKOFF_MS[Math.min(this.#attempt++, BACKOFF_MS.length - 1)]!;
    this.#state = 'restarting';
    this.#log(`exited with ${signal ?? `code ${code}`}; restarting in ${delay} ms on port ${this.port}`);
    this.#timer = setTimeout(() => void this.#restart(), delay);
  }

  async #restart(): Promise<void> {
    this.#timer = undefined;
    if (this.#state !== 'restarting') return;
    const child = this.#fork();
    const failure = await this.#awaitReady(child, this.#options.timeoutReady ?? 60_000);
    if (this.#state !== 'restarting' || child !== this.#child) return;
    if (failure === undefined) {
      this.#restarts++;
      this.#state = 'ready';
      this.#readyAt = Date.now();
      this.#log(`restarted (restart #${this.#restarts})`);
    } else if (this.alive) {
      // Started but never became healthy: kill it; the exit handler schedules the next attempt.
      this.#readyAt = 0;
      this.#child?.kill('SIGKILL');
    }
  }

  async #settledTail(): Promise<string[]> {
    // Let the last lines of a dying process arrive.
    await new Promise((r) => setTimeout(r, 50));
    return [...this.#tail];
  }

  async #kill(graceMs: number): Promise<void> {
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

  /** Stops supervising, sends SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopping';
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#kill(graceMs);
    this.#state = 'stopped';
  }

  /** Resolves with the exit code when the current process ends. */
  exited(): Promise<number | null> {
    return this.#exited ?? Promise.resolve(null);
  }
}
