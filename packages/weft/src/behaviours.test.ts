// The Flow behaviours of semantics.md give the same results from YAML via `weft flow --uses` and
// from the TypeScript API: a chain, a conditional branch, a join without reduce, a floating
// deployment, shards with ALL polling and an external executor started separately by `weft executor`.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client } from '@weft/client';
import { Document, DocumentArray } from '@weft/docarray';
import { Flow } from '@weft/orchestrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Joiner, Mark } from './test-fixtures/executors.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./test-fixtures/${name}`, import.meta.url));

const procs: ChildProcess[] = [];
function start(args: string[], ready: RegExp): Promise<RegExpExecArray> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  procs.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`weft ${args[0]} not ready within 30 s`)), 30_000);
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const m = ready.exec(l);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code) => reject(new Error(`weft ${args[0]} exited with ${code}`)));
  });
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const inputs = () =>
  new DocumentArray([
    new Document({ id: 'd1', tags: { kind: 'x' } }),
    new Document({ id: 'd2', tags: { kind: 'y' } }),
    new Document({ id: 'd3', tags: { kind: 'x' } }),
  ]);
const EXPECTED = ['hey AB|CJS', 'hey ABJS', 'hey AB|CJS'];

let externalPort: number;
beforeAll(async () => {
  externalPort = await freePort();
  await start(
    [
      'executor',
      '--uses',
      `${fixture('executors.ts')}#Greeter`,
      '--uses-with',
      '{"greeting": "hey"}',
      '--host',
      '127.0.0.1',
      '--port',
      String(externalPort),
    ],
    /serving/,
  );
});
afterAll(async () => {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null || p.signalCode !== null) return resolve();
          p.once('exit', () => resolve());
          p.kill('SIGTERM');
        }),
    ),
  );
});

describe('Flow behaviours', () => {
  it('from YAML via `weft flow --uses`', async () => {
    const m = await start(
      ['flow', '--uses', fixture('behaviours.yml'), '--context', `external_port=${externalPort}`],
      /^Flow ready: grpc:\/\/127\.0\.0\.1:(\d+) /,
    );
    const c = new Client({ port: Number(m[1]) });
    const r = await c.post('/', inputs());
    c.close();
    expect(r.texts).toEqual(EXPECTED);
    expect(r.map((d) => d.id)).toEqual(['d1', 'd2', 'd3']);
  });

  it('from the TypeScript API, with the same results', async () => {
    await using f = await new Flow({ log: () => {} })
      .add({ name: 'a', uses: Mark, usesWith: { mark: 'A' } })
      .add({ name: 'b', uses: Mark, usesWith: { mark: 'B' }, replicas: 2 })
      .add({
        name: 'c',
        uses: Mark,
        usesWith: { mark: 'C' },
        needs: 'gateway',
        when: { tags__kind: { $eq: 'x' } },
      })
      .add({ name: 'j', uses: Joiner, needs: ['b', 'c'], noReduce: true })
      .add({ name: 'f', uses: Mark, usesWith: { mark: 'F' }, needs: 'a', floating: true })
      .add({ name: 's', uses: Mark, usesWith: { mark: 'S' }, shards: 2, polling: 'ALL' })
      .add({ name: 'e', external: true, host: '127.0.0.1', port: externalPort })
      .start();
    expect(f.graphDescription()).toEqual({
      'start-gateway': ['a', 'c'],
      a: ['b', 'f'],
      b: ['j'],
      c: ['j'],
      j: ['s'],
      f: [],
      s: ['e'],
      e: ['end-gateway'],
    });
    const c = new Client({ port: f.port! });
    const r = await c.post('/', inputs());
    c.close();
    expect(r.texts).toEqual(EXPECTED);
  });
});
