import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from '@weft/client';
import { DocumentArray } from '@weft/docarray';
import { afterEach, describe, expect, it } from 'vitest';
import { Flow, RuntimeStartError } from './index.js';
import { Fragile, WhoAmI } from './test-fixtures/executors.js';

const fixture = (name: string) => fileURLToPath(new URL(`./test-fixtures/${name}`, import.meta.url));
const tsx = fileURLToPath(import.meta.resolve('tsx'));

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

const flows: Flow[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const f of flows.splice(0)) await f.close();
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

describe('supervision', () => {
  it('restarts a SIGKILLed replica on the same port within 5 s while no request fails', async () => {
    const logs: string[] = [];
    const f = new Flow({ log: (l) => logs.push(l) }).add({ uses: WhoAmI, replicas: 3 });
    flows.push(f);
    await f.start();
    const victim = f.describe().find((r) => r.name === 'executor0/rep-1')!;
    const c = new Client({ port: f.port! });
    let stop = false;
    let ok = 0;
    const failures: unknown[] = [];
    // Four clients in closed loops with a short pause: steady load without starving the restart of CPU.
    const load = Array.from({ length: 4 }, async () => {
      while (!stop) {
        await new Promise((r) => setTimeout(r, 10));
        try {
          const r = await c.post('/', DocumentArray.empty(2));
          expect(r.texts).toEqual(['seen;', 'seen;']);
          ok++;
        } catch (err) {
          failures.push(err);
        }
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    const killedAt = Date.now();
    process.kill(victim.pid!, 'SIGKILL');
    const back = await until(() => {
      const now = f.describe().find((r) => r.name === 'executor0/rep-1')!;
      return now.state === 'ready' && now.pid !== victim.pid && now.alive;
    }, 5000);
    const took = Date.now() - killedAt;
    // Requests reach the restarted replica again, within 5 s of the kill.
    const servedBy = new Set<string>();
    while (!servedBy.has('executor0/rep-1') && Date.now() - killedAt < 5000) {
      const r = await c.post('/', DocumentArray.empty(1));
      servedBy.add(String(r.at(0)!.tags.runtime));
      await new Promise((r) => setTimeout(r, 20));
    }
    const rejoined = Date.now() - killedAt;
    stop = true;
    await Promise.all(load);
    c.close();
    expect(
      back,
      `replica back after ${took} ms; log:\n${logs.filter((l) => l.startsWith('executor0/rep-1')).join('\n')}`,
    ).toBe(true);
    expect(took).toBeLessThan(5000);
    const now = f.describe().find((r) => r.name === 'executor0/rep-1')!;
    expect(now.port).toBe(victim.port);
    expect(now.restarts).toBe(1);
    expect(servedBy.has('executor0/rep-1'), `not serving again ${rejoined} ms after the kill`).toBe(true);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(10);
    expect(logs.some((l) => l.startsWith('executor0/rep-1 | exited with SIGKILL; restarting'))).toBe(true);
  });

  it('restarts a replica that exits on an error listed in exitOnExceptions, with its env', async () => {
    const f = new Flow({ log: () => {} }).add({
      uses: Fragile,
      name: 'fragile',
      exitOnExceptions: ['FatalError'],
      env: { WEFT_TEST_ENV: 'from-env' },
    });
    flows.push(f);
    await f.start();
    const before = f.describe().find((r) => r.name === 'fragile/rep-0')!;
    const c = new Client({ port: f.port! });
    const ok = await c.post('/', new DocumentArray([{ text: 'fine' }]));
    expect(ok.at(0)!.tags).toMatchObject({ pid: before.pid, env: 'from-env' });
    await expect(c.post('/', new DocumentArray([{ text: 'boom' }]))).rejects.toThrow(/boom asked for/);
    const back = await until(() => {
      const now = f.describe().find((r) => r.name === 'fragile/rep-0')!;
      return now.restarts === 1 && now.state === 'ready';
    }, 5000);
    expect(back).toBe(true);
    let served: DocumentArray | undefined;
    for (let i = 0; i < 50 && !served; i++) {
      served = await c.post('/', new DocumentArray([{ text: 'again' }])).catch(() => undefined);
      if (!served) await new Promise((r) => setTimeout(r, 100));
    }
    c.close();
    expect(served!.at(0)!.tags.pid).not.toBe(before.pid);
    expect(served!.at(0)!.tags.env).toBe('from-env');
  });

  it('leaves no runtime process within 2 s when the parent is SIGKILLed', async () => {
    const parent = spawn(process.execPath, ['--import', tsx, fixture('parent.ts')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(parent);
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('parent did not report its runtimes within 30 s')),
        30_000,
      );
      createInterface({ input: parent.stdout! }).once('line', (l) => {
        clearTimeout(timer);
        resolve(l);
      });
    });
    const pids = JSON.parse(line) as number[];
    expect(pids).toHaveLength(4);
    expect(pids.every(alive)).toBe(true);
    parent.kill('SIGKILL');
    const t0 = Date.now();
    const gone = await until(() => !pids.some(alive), 2000);
    expect(gone, `still alive after ${Date.now() - t0} ms: ${pids.filter(alive).join(', ')}`).toBe(true);
  });

  it('serves an Executor defined inline in the main module by re-importing it in each child', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', tsx, fixture('inline.ts')], {
      timeout: 60_000,
    });
    expect(stdout.trim()).toBe('["A!","B!"]');
  });

  it('fails start() with a clear error when the class is not exported from the module', async () => {
    const f = new Flow().add({ uses: './test-fixtures/executors.ts#Missing', name: 'lost' });
    const err = (await f.start().catch((e: unknown) => e)) as RuntimeStartError;
    expect(err).toBeInstanceOf(RuntimeStartError);
    expect(err.runtime).toBe('lost/rep-0');
    expect(err.message).toMatch(/cannot find Executor 'Missing'/);
    expect(err.message).toMatch(
      /Executors exported there: BrokenInit, Fragile, Greeter, SlowRecorder, WhoAmI/,
    );
  });

  it('describes every runtime with kind, pid, port and state, and stops them on close', async () => {
    const f = new Flow().add({ uses: WhoAmI, replicas: 2, name: 'a' });
    await f.start();
    const info = f.describe();
    expect(info.map((r) => [r.name, r.kind, r.state])).toEqual([
      ['gateway', 'gateway', 'ready'],
      ['a/rep-0', 'executor', 'ready'],
      ['a/rep-1', 'executor', 'ready'],
    ]);
    expect(f.doors).toEqual([{ protocol: 'grpc', port: f.port, url: `grpc://127.0.0.1:${f.port}` }]);
    await f.close();
    expect(f.describe().every((r) => r.state === 'stopped' && !r.alive)).toBe(true);
    expect(info.some((r) => alive(r.pid))).toBe(false);
  });
});
