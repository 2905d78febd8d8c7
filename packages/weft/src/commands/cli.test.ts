// `weft executor` and `weft ping` as a user runs them: the built CLI under plain node, real processes.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createClient } from '@connectrpc/connect';
import { createDataRequest, requestDocs } from '@weft/core';
import { createWeftTransport } from '@weft/core/grpc';
import { DocumentArray } from '@weft/docarray';
import { JinaSingleDataRequestRPC } from '@weft/proto';
import { afterEach, describe, expect, it } from 'vitest';

// The built CLI, run by plain node (no tsx): loading the .ts fixture exercises the tsx registration.
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./test-fixtures/echo.ts', import.meta.url));

function weft(args: string[], timeoutMs = 20_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Starts `weft executor …` and resolves with its port once it prints its ready line. */
async function serve(args: string[], cwd?: string) {
  const child = spawn(process.execPath, [CLI, 'executor', '--host', '127.0.0.1', ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WEFT_LOG_LEVEL: 'warn' },
  });
  children.push(child);
  const lines: string[] = [];
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 20 s:\n${lines.join('\n')}`)), 20_000);
    createInterface({ input: child.stdout! }).on('line', (l) => {
      lines.push(l);
      const m = /serving .* at grpc:\/\/127\.0\.0\.1:(\d+)/.exec(l);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}:\n${lines.join('\n')}`));
    });
  });
  return { child, port, lines, exited };
}

describe('weft executor', () => {
  it('serves a TypeScript Executor, answers requests and weft ping, and drains on SIGTERM with exit 0', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'weft-cli-'));
    try {
      const port = await freePort();
      const rt = await serve([
        '--uses',
        `${FIXTURE}#Shout`,
        '--port',
        String(port),
        '--name',
        'shouter',
        '--uses-with',
        '{"suffix": "!"}',
        '--workspace',
        ws,
      ]);
      expect(rt.port).toBe(port);
      const t = createWeftTransport(`http://127.0.0.1:${port}`);
      try {
        const c = createClient(JinaSingleDataRequestRPC, t.transport);
        const r = await c.process_single_data(
          createDataRequest({ endpoint: '/shout', docs: new DocumentArray([{ text: 'hey' }]) }),
        );
        expect(requestDocs(r).texts).toEqual(['HEY!']);
        const who = await c.process_single_data(createDataRequest({ endpoint: '/whoami' }));
        expect((who.parameters!.__results__ as any)['shouter/rep-0']).toEqual({
          name: 'shouter',
          runtime: 'shouter/rep-0',
          workspace: join(ws, 'shouter', '0'),
        });
      } finally {
        t.close();
      }
      const ping = await weft(['ping', 'executor', `127.0.0.1:${port}`]);
      expect(ping).toMatchObject({ code: 0 });
      expect(ping.stdout).toContain('SERVING');
      rt.child.kill('SIGTERM');
      expect(await rt.exited).toBe(0);
      const after = await weft(['ping', 'executor', `127.0.0.1:${port}`, '--timeout', '500']);
      expect(after.code).toBe(1);
      expect(after.stderr).toMatch(/unreachable/);
    } finally {
      rmSync(ws, { recursive: true, force: true });
    }
  });

  it('serves an Executor YAML given relative to the working directory', async () => {
    const rt = await serve(
      ['--uses', 'shout.yml'],
      fileURLToPath(new URL('./test-fixtures/', import.meta.url)),
    );
    const t = createWeftTransport(`http://127.0.0.1:${rt.port}`);
    try {
      const c = createClient(JinaSingleDataRequestRPC, t.transport);
      const r = await c.process_single_data(
        createDataRequest({ endpoint: '/shout', docs: new DocumentArray([{ text: 'yo' }]) }),
      );
      expect(requestDocs(r).texts).toEqual(['YO?']);
      const who = await c.process_single_data(createDataRequest({ endpoint: '/whoami' }));
      expect((who.parameters!.__results__ as any)['yaml-shouter/rep-0'].name).toBe('yaml-shouter');
    } finally {
      t.close();
    }
    rt.child.kill('SIGINT');
    expect(await rt.exited).toBe(0);
  });

  it('fails with a clear message and exit 1 when the export does not exist', async () => {
    const r = await weft(['executor', '--uses', `${FIXTURE}#Nope`, '--host', '127.0.0.1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/has no export 'Nope'.*Executors exported there: Shout/);
  });

  it('rejects --uses-with that is not a JSON object', async () => {
    const r = await weft(['executor', '--uses', `${FIXTURE}#Shout`, '--uses-with', '[1]']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--uses-with must be a JSON object/);
  });
});

describe('weft ping', () => {
  it('exits 1 within its timeout when nothing listens', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const r = await weft(['ping', 'gateway', `127.0.0.1:${port}`, '--timeout', '1000', '--attempts', '2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`gateway at 127.0.0.1:${port}: unreachable`));
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('rejects an unknown kind and a bad address as usage errors', async () => {
    const kind = await weft(['ping', 'database', '127.0.0.1:1']);
    expect(kind.code).not.toBe(0);
    expect(kind.stderr).toMatch(/Allowed choices are executor, gateway, flow/);
    const addr = await weft(['ping', 'executor', 'nowhere']);
    expect(addr.code).toBe(1);
    expect(addr.stderr).toMatch(/address 'nowhere' is not valid/);
  });
});
