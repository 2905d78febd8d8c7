// Runs an exported Docker Compose topology for real, without Docker: every service becomes a local
// process started with exactly the command, arguments, environment and working directory of its
// Compose entry. What Docker would provide is emulated and nothing else:
// - each service gets its own loopback address (127.1.x.y), as a container gets its own IP;
//   service names in arguments resolve to it, and `--host 0.0.0.0` ("every interface of my
//   container") binds it;
// - the image's ENTRYPOINT is `weft`, so a command runs as `weft <command…>`;
// - services start in `depends_on` order, each waiting for its dependencies' health checks.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from '@weft/client';
import { DocumentArray } from '@weft/docarray';
import { type ComposeFile, loadFlowYaml, toDockerCompose } from '@weft/orchestrator';
import { afterAll, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const projectDir = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const fixture = (name: string) => fileURLToPath(new URL(`./test-fixtures/${name}`, import.meta.url));

const procs: ChildProcess[] = [];
afterAll(async () => {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null || p.signalCode !== null) return resolve();
          p.once('exit', () => resolve());
          p.kill('SIGTERM');
          setTimeout(() => p.kill('SIGKILL'), 5000).unref();
        }),
    ),
  );
});

/** Replaces `<service>:` host names with their loopback address in one argument. */
function resolveNames(arg: string, ips: Map<string, string>): string {
  let out = arg;
  // Longest names first so that `executor0-rep-1` is not taken for `executor0`.
  for (const [name, ip] of [...ips].sort((a, b) => b[0].length - a[0].length)) {
    out = out.replace(
      new RegExp(`(^|[^A-Za-z0-9_-])${name.replace(/[.]/g, '\\.')}:(\\d+)`, 'g'),
      `$1${ip}:$2`,
    );
  }
  return out;
}

/** The container's view: 0.0.0.0 and 127.0.0.1 are the service's own address. */
function containerArgs(args: readonly string[], ip: string, ips: Map<string, string>): string[] {
  return args.map((a) =>
    resolveNames(a, ips)
      .replace(/^0\.0\.0\.0$/, ip)
      .replace(/^127\.0\.0\.1:/, `${ip}:`),
  );
}

async function healthy(
  compose: ComposeFile,
  name: string,
  ip: string,
  ips: Map<string, string>,
): Promise<void> {
  const hc = compose.services[name]!.healthcheck;
  expect(hc.test[0]).toBe('CMD');
  expect(hc.test[1]).toBe('weft');
  const args = containerArgs(hc.test.slice(2), ip, ips);
  for (let i = 0; i <= hc.retries; i++) {
    const ok = await promisify(execFile)(process.execPath, [cli, ...args], { timeout: 10_000 }).then(
      () => true,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`service ${name} never became healthy`);
}

describe('the exported Compose topology, run as local processes', () => {
  it.each([
    ['seed.yml', ['executor0-rep-0', 'executor0-rep-1', 'executor1', 'gateway']],
    [
      'sharded.yml',
      [
        'executor0-0-rep-0',
        'executor0-1-rep-0',
        'executor0-head',
        'executor1-rep-0',
        'executor1-rep-1',
        'gateway',
      ],
    ],
  ])(
    'serves the seed pipeline through its gateway (%s)',
    async (file, services) => {
      const flow = await loadFlowYaml(fixture(file));
      // The image would hold this project at workdir; here it is this package's folder.
      const compose = toDockerCompose(flow, { workdir: projectDir, projectDir });
      const names = Object.keys(compose.services);
      expect(names).toEqual(services);
      const base = 1 + Math.floor(Math.random() * 200);
      const ips = new Map(names.map((n, i) => [n, `127.1.${base}.${10 + i}`]));
      const started = new Set<string>();
      const start = async (name: string): Promise<void> => {
        if (started.has(name)) return;
        started.add(name);
        const s = compose.services[name]!;
        for (const dep of Object.keys(s.depends_on ?? {})) {
          await start(dep);
          await healthy(compose, dep, ips.get(dep)!, ips);
        }
        expect(s.init).toBe(true);
        const child = spawn(process.execPath, [cli, ...containerArgs(s.command, ips.get(name)!, ips)], {
          cwd: s.working_dir,
          env: { PATH: process.env.PATH, ...s.environment },
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        procs.push(child);
      };
      await start('gateway');
      await healthy(compose, 'gateway', ips.get('gateway')!, ips);
      const c = new Client({ host: ips.get('gateway')!, port: 8080 });
      try {
        const r = await c.post('/', DocumentArray.empty(2));
        expect(r.texts).toEqual(['hello, world!goodbye!', 'hello, world!goodbye!']);
        const many = await c.post('/', DocumentArray.empty(20), { requestSize: 1 });
        expect(many.texts.every((t) => t === 'hello, world!goodbye!')).toBe(true);
      } finally {
        c.close();
        for (const p of procs.splice(0)) {
          if (p.exitCode !== null || p.signalCode !== null) continue;
          const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
          p.kill('SIGTERM');
          await gone;
        }
      }
    },
    120_000,
  );
});
