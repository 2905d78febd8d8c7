// Real processes for the reliability cases: the built `weft` CLI (executors, gateways) under
// plain node, and /proc readings of their memory and file descriptors.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
/** The built CLI of the `weft` package. */
export const CLI = join(dirname(require.resolve('weft/package.json')), 'dist/cli.js');
/** This folder's executors module, for `--uses`. */
export const EXECUTORS = fileURLToPath(new URL('./executors.ts', import.meta.url));

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A `weft` CLI process started by a test. */
export interface CliProcess {
  child: ChildProcess;
  pid: number;
  /** Ports it printed in its ready line, by protocol. */
  ports: Record<string, number>;
  /** Every output line so far. */
  lines: string[];
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILLs the process if it still runs and waits for it to end. */
  kill(): Promise<void>;
}

const started = new Set<CliProcess>();

/** SIGKILLs every CLI process still running (call in afterEach/afterAll). */
export async function killAll(): Promise<void> {
  await Promise.all([...started].map((p) => p.kill()));
}

/** Runs `weft <args>` and resolves once `ready` matches a line (its groups become ports). */
export function startCli(
  args: string[],
  ready: (line: string) => Record<string, number> | undefined,
  timeoutMs: number,
): Promise<CliProcess> {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WEFT_LOG_LEVEL: process.env.WEFT_LOG_LEVEL ?? 'warn' },
  });
  const lines: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  const p: CliProcess = {
    child,
    pid: child.pid!,
    ports: {},
    lines,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      started.delete(p);
    },
  };
  started.add(p);
  void exited.then(() => started.delete(p));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void p.kill();
      reject(new Error(`weft ${args[0]} not ready in ${timeoutMs} ms:\n${lines.join('\n')}`));
    }, timeoutMs);
    const onLine = (l: string) => {
      lines.push(l);
      const ports = ready(l);
      if (ports) {
        clearTimeout(timer);
        p.ports = ports;
        resolve(p);
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(
        new Error(`weft ${args[0]} exited (${signal ?? code}) before it was ready:\n${lines.join('\n')}`),
      );
    });
  });
}

/** Starts `weft executor --uses executors.ts#<cls>` on `port`. */
export function startExecutor(
  cls: string,
  opts: { port?: number; name?: string; runtimeName?: string; extra?: string[] } = {},
): Promise<CliProcess> {
  const args = ['executor', '--uses', `${EXECUTORS}#${cls}`, '--port', String(opts.port ?? 0)];
  if (opts.name) args.push('--name', opts.name);
  if (opts.runtimeName) args.push('--runtime-name', opts.runtimeName);
  args.push(...(opts.extra ?? []));
  return startCli(
    args,
    (l) => {
      const m = /serving .* at grpcs?:\/\/127\.0\.0\.1:(\d+)/.exec(l);
      return m ? { grpc: Number(m[1]) } : undefined;
    },
    30_000,
  );
}

/** Starts `weft gateway` in front of `addresses` (deployment → `host:port` list), one chain per deployment list order. */
export function startGatewayProcess(opts: {
  graph: Record<string, string[]>;
  addresses: Record<string, string[]>;
  protocols?: string[];
  extra?: string[];
  /** Call the deployments over TLS (`grpcs://`). @default false */
  tls?: boolean;
}): Promise<CliProcess> {
  const protocols = opts.protocols ?? ['grpc'];
  const scheme = opts.tls ? 'grpcs' : 'grpc';
  const addresses = Object.fromEntries(
    Object.entries(opts.addresses).map(([k, v]) => [k, v.map((a) => `${scheme}://${a}`)]),
  );
  const args = [
    'gateway',
    '--graph-description',
    JSON.stringify(opts.graph),
    '--deployments-addresses',
    JSON.stringify(addresses),
    '--protocol',
    ...protocols,
    ...(opts.extra ?? []),
  ];
  return startCli(
    args,
    (l) => {
      if (!l.startsWith('Gateway ready:')) return undefined;
      const ports: Record<string, number> = {};
      for (const m of l.matchAll(/(\w+) on [^:]+:(\d+)/g)) ports[m[1]!] = Number(m[2]);
      return ports;
    },
    30_000,
  );
}

/** Resident memory (bytes) and open file descriptors of a process, from /proc. */
export function procStats(pid: number): { rss: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rss: kb * 1024, fds: readdirSync(`/proc/${pid}/fd`).length };
}

/** Waits `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
