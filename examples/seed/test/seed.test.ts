import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Client } from '@weft/client';
import { DocumentArray } from '@weft/docarray';
import { Flow } from '@weft/orchestrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BarExec, FooExec } from '../executors.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const tsx = fileURLToPath(import.meta.resolve('tsx'));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && pids.some(alive)) await new Promise((r) => setTimeout(r, 50));
  return pids.filter(alive);
}

describe('examples/seed/main.ts', () => {
  it('prints exactly the seed result and exits 0', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', tsx, here('../main.ts')], {
      timeout: 60_000,
      // stdout is a pipe here, but test runners set FORCE_COLOR: print as a terminal-less user sees it.
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    });
    expect(stdout).toBe("[ 'hello, world!goodbye!', 'hello, world!goodbye!' ]\n");
  });
});

describe('the seed Flow', () => {
  let flow: Flow;
  beforeAll(async () => {
    flow = new Flow().add({ uses: FooExec, replicas: 3 }).add({ uses: BarExec, replicas: 2 });
    await flow.start();
  });
  afterAll(async () => {
    await flow.close();
  });

  it('is six processes with their own pids and ports', () => {
    const rts = flow.describe();
    expect(rts).toHaveLength(6);
    expect(new Set(rts.map((r) => r.pid)).size).toBe(6);
    expect(new Set(rts.map((r) => r.port)).size).toBe(6);
  });

  it('keeps ids and processes each doc once per deployment', async () => {
    const c = new Client({ port: flow.port! });
    const docs = DocumentArray.empty(10);
    const r = await c.post('/', docs, { requestSize: 3, resultsInOrder: true });
    expect(r.ids).toEqual(docs.ids);
    expect(new Set(r.texts)).toEqual(new Set(['hello, world!goodbye!']));
    c.close();
  });

  it('answers a client built by another gRPC stack (grpc-js + proto-loader) on jina.JinaRPC/Call', async () => {
    const def = protoLoader.loadSync('jina.proto', {
      includeDirs: [here('../../../proto')],
      keepCase: true,
      defaults: true,
      oneofs: true,
    });
    const pkg = grpc.loadPackageDefinition(def) as any;
    const client = new pkg.jina.JinaRPC(`127.0.0.1:${flow.port}`, grpc.credentials.createInsecure());
    try {
      const responses = await new Promise<any[]>((resolve, reject) => {
        const out: any[] = [];
        const call = client.Call();
        call.on('data', (d: any) => out.push(d));
        call.on('error', reject);
        call.on('end', () => resolve(out));
        call.write({
          header: { request_id: 'a'.repeat(32), exec_endpoint: '/' },
          data: { docs: { docs: [{ id: 'one' }, { id: 'two' }] } },
        });
        call.end();
      });
      expect(responses).toHaveLength(1);
      const res = responses[0];
      expect(res.header.request_id).toBe('a'.repeat(32));
      expect(res.data.docs.docs.map((d: any) => [d.id, d.text])).toEqual([
        ['one', 'hello, world!goodbye!'],
        ['two', 'hello, world!goodbye!'],
      ]);
      expect(res.routes.map((r: any) => r.executor)).toEqual(['gateway', 'executor0', 'executor1']);
    } finally {
      client.close();
    }
  });
});

describe('process cleanup', () => {
  it('leaves no runtime process when the parent is SIGKILLed', async () => {
    const parent: ChildProcess = spawn(process.execPath, ['--import', tsx, here('./parent.ts')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: parent.stdout! }).once('line', resolve);
        parent.once('exit', (code) => reject(new Error(`parent exited early with ${code}`)));
      });
      const { pids } = JSON.parse(line) as { pids: number[] };
      expect(pids).toHaveLength(4);
      expect(pids.every(alive)).toBe(true);
      parent.kill('SIGKILL');
      expect(await waitGone(pids, 2000)).toEqual([]);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
