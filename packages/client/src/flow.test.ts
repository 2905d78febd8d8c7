import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from './index.js';

// One run through a real Flow: the gateway and every replica are processes of their own.
const script = fileURLToPath(new URL('./test-fixtures/flow-process.ts', import.meta.url));
let child: ChildProcess;
let port = 0;

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the Flow did not start within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`the Flow process exited with ${code}`)));
    child.stdout!.once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve(Number(d.toString().trim()));
    });
  });
}, 70_000);
afterAll(async () => {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
});

describe('Client against a real Flow (processes)', () => {
  it('posts in batches, restores order across replica processes, and checks readiness', async () => {
    const c = new Client({ port });
    try {
      expect(await c.isFlowReady()).toBe(true);
      const inputs = Array.from({ length: 200 }, (_, i) => ({ text: `f${i}` }));
      const sizes: number[] = [];
      await c.post('/', inputs, { requestSize: 20, onDone: (r) => void sizes.push(r.docs.length) });
      expect(sizes).toEqual(Array(10).fill(20));
      const r = await c.post('/slow', inputs, { requestSize: 20, resultsInOrder: true });
      expect(r.texts).toEqual(inputs.map((d) => `${d.text}!`));
      expect(new Set(r.map((d) => d.tags.by))).toEqual(new Set(['upper/rep-0', 'upper/rep-1']));
      const p = await c.profile();
      expect(Object.keys(p.executors)).toEqual(['upper', 'bang']);
    } finally {
      c.close();
    }
  });
});
