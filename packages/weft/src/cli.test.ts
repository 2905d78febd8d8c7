import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./test-fixtures/${name}`, import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
const run = (...args: string[]) =>
  new Promise<Run>((resolve) => {
    execFile(process.execPath, [cli, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });

/** Starts a long-running `weft` command and resolves with its ready line. */
function serve(args: string[]): {
  child: ChildProcess;
  ready: Promise<string>;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('not ready within 30 s')), 30_000);
    createInterface({ input: child.stdout! }).on('line', (l) => {
      if (/ready: /.test(l)) {
        clearTimeout(timer);
        resolve(l);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}`));
    });
  });
  ready.catch(() => {});
  return { child, ready, exited };
}

let dir: string;
const children: ChildProcess[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-cli-'));
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('weft CLI', () => {
  it('prints help naming its commands, with exit codes and examples', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: weft/);
    for (const c of ['flow', 'deployment', 'export', 'client', 'new', '--log-level'])
      expect(r.stdout).toContain(c);
    expect(r.stdout).toMatch(/Exit codes: 0 success; 1 failure/);
    for (const sub of [['flow'], ['deployment'], ['export', 'kubernetes'], ['client', 'post'], ['new']]) {
      const h = await run(...sub, '--help');
      expect(h.code).toBe(0);
      expect(h.stdout).toMatch(/Examples?:\n {2}\$ weft /);
    }
  });

  it('prints its version', async () => {
    const r = await run('--version');
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('exits 2 on usage errors and 1 on failures, with a clear message', async () => {
    const unknown = await run('bogus');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'bogus'/);
    const missingOpt = await run('flow');
    expect(missingOpt.code).toBe(2);
    expect(missingOpt.stderr).toMatch(/required option '--uses <flow.yml>' not specified/);
    const badLevel = await run('--log-level', 'loud', 'flow', '--uses', 'x.yml');
    expect(badLevel.code).toBe(2);
    const missing = await run('flow', '--uses', '/nowhere/flow.yml');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read YAML '\/nowhere\/flow.yml': no such file/);
    const wrongKind = await run('flow', '--uses', fixture('deployment.yml'));
    expect(wrongKind.code).toBe(1);
    expect(wrongKind.stderr).toMatch(/is a Deployment, not a Flow; use 'weft deployment --uses/);
    const badData = await run(
      'client',
      'post',
      '--url',
      '127.0.0.1:1',
      '--on',
      '/',
      '--data',
      '/nowhere.json',
    );
    expect(badData.code).toBe(1);
    expect(badData.stderr).toMatch(/--data '\/nowhere.json' is neither JSON/);
  });

  it('serves a Flow from YAML, answers `client post`, and stops every runtime on Ctrl-C with exit 0', async () => {
    const s = serve(['--log-level', 'warn', 'flow', '--uses', fixture('seed.yml')]);
    children.push(s.child);
    const line = await s.ready;
    const m =
      /^Flow ready: (grpc:\/\/127\.0\.0\.1:(\d+)) \(executor0, executor1\)\. Press Ctrl-C to stop\.$/.exec(
        line,
      );
    expect(m, line).not.toBeNull();
    const r = await run(
      'client',
      'post',
      '--url',
      m![1]!,
      '--on',
      '/',
      '--data',
      '[{"text": ""}, {"text": "x"}]',
    );
    expect(r.code, r.stderr).toBe(0);
    const docs = JSON.parse(r.stdout) as { text: string }[];
    expect(docs.map((d) => d.text)).toEqual(['hello, world!goodbye!', 'xhello, world!goodbye!']);
    s.child.kill('SIGINT');
    expect(await s.exited).toBe(0);
    const down = await run(
      'client',
      'post',
      '--url',
      m![1]!,
      '--on',
      '/',
      '--data',
      '[{}]',
      '--timeout',
      '2000',
    );
    expect(down.code).toBe(1);
  });

  it('serves a Deployment from YAML', async () => {
    const s = serve(['deployment', '--uses', fixture('deployment.yml')]);
    children.push(s.child);
    const line = await s.ready;
    const url = /Deployment ready: (grpc:\/\/\S+) \(foo\)/.exec(line)![1]!;
    const r = await run('client', 'post', '--url', url, '--on', '/x', '--data', '[{"text": "a"}]');
    expect(JSON.parse(r.stdout)[0].text).toBe('ahello, world!');
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });

  it('exports Kubernetes manifests, a Compose file, flowcharts and the JSON schema', async () => {
    const k = await run(
      'export',
      'kubernetes',
      fixture('seed.yml'),
      join(dir, 'k8s'),
      '--namespace',
      'demo',
      '--image-pull-secret',
      'regcred',
    );
    expect(k.code, k.stderr).toBe(0);
    expect((await readdir(join(dir, 'k8s'))).sort()).toEqual(['executor0', 'executor1', 'gateway']);
    const gw = await readFile(join(dir, 'k8s/gateway/gateway.yml'), 'utf8');
    expect(gw).toContain('grpc://executor0.demo.svc:8080');
    const c = await run('export', 'docker-compose', fixture('seed.yml'), join(dir, 'compose.yml'));
    expect(c.code, c.stderr).toBe(0);
    expect(await readFile(join(dir, 'compose.yml'), 'utf8')).toMatch(/executor0-rep-1:/);
    const md = await run('export', 'flowchart', fixture('seed.yml'), join(dir, 'flow.md'));
    expect(md.code).toBe(0);
    expect(await readFile(join(dir, 'flow.md'), 'utf8')).toMatch(/^```mermaid\nflowchart LR\n/);
    const svg = await run('export', 'flowchart', fixture('seed.yml'), join(dir, 'flow.svg'));
    expect(svg.code).toBe(0);
    expect(await readFile(join(dir, 'flow.svg'), 'utf8')).toMatch(
      /^<svg [^>]*>[\s\S]*executor1[\s\S]*<\/svg>\n$/,
    );
    const bad = await run('export', 'flowchart', fixture('seed.yml'), join(dir, 'flow.png'));
    expect(bad.code).toBe(2);
    const schema = await run('export', 'schema');
    expect(JSON.parse(schema.stdout).title).toBe('Weft Flow or Deployment YAML');
  });
});
