import { fileURLToPath } from 'node:url';
import { Client } from '@weft/client';
import { DocumentArray } from '@weft/docarray';
import { afterEach, describe, expect, it } from 'vitest';
import { Flow, RuntimeStartError, loadFlowYaml } from './index.js';
import { Greeter, SlowRecorder, WhoAmI } from './test-fixtures/executors.js';

const fixture = (name: string) => fileURLToPath(new URL(`./test-fixtures/${name}`, import.meta.url));

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const flows: Flow[] = [];
afterEach(async () => {
  for (const f of flows.splice(0)) await f.close();
});

describe('Flow', () => {
  it('runs each replica as its own process and spreads requests over all of them', async () => {
    const f = new Flow().add({ uses: WhoAmI, replicas: 3 });
    flows.push(f);
    await f.start();
    const runtimes = f.describe();
    expect(runtimes.map((r) => r.name).sort()).toEqual([
      'executor0/rep-0',
      'executor0/rep-1',
      'executor0/rep-2',
      'gateway',
    ]);
    const pids = runtimes.map((r) => r.pid);
    expect(new Set(pids).size).toBe(4);
    expect(pids).not.toContain(process.pid);

    const c = new Client({ port: f.port! });
    const served = new Map<string, number>();
    await Promise.all(
      Array.from({ length: 30 }, async () => {
        const r = await c.post('/', DocumentArray.empty(1));
        const d = r.at(0)!;
        expect(d.text).toBe('seen;');
        const rt = String(d.tags.runtime);
        served.set(rt, (served.get(rt) ?? 0) + 1);
        expect(pids).toContain(Number(d.tags.pid));
      }),
    );
    c.close();
    expect([...served.keys()].sort()).toEqual(['executor0/rep-0', 'executor0/rep-1', 'executor0/rep-2']);
    await f.close();
    await new Promise((r) => setTimeout(r, 100));
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('passes usesWith to the executor constructor', async () => {
    const f = new Flow().add({ uses: Greeter, usesWith: { greeting: 'hey' } });
    flows.push(f);
    await f.start();
    const c = new Client({ port: f.port! });
    const r = await c.post('/', new DocumentArray([{ text: 'you' }]));
    expect(r.texts).toEqual(['hey you']);
    c.close();
  });

  it('serves an executor YAML file (jtype, with, metas) given as uses', async () => {
    const f = new Flow().add({ uses: './test-fixtures/greeter.yml', name: 'g' }).add({ uses: WhoAmI });
    flows.push(f);
    await f.start();
    const c = new Client({ port: f.port! });
    const r = await c.post('/', new DocumentArray([{ text: 'toi' }]));
    c.close();
    expect(r.texts).toEqual(['salut toiseen;']);
  });

  it('serves gRPC and HTTP doors on the ports asked for, listing their URLs', async () => {
    const { freePort } = await import('./ports.js');
    const ports = [await freePort(), await freePort()];
    const f = new Flow({ protocol: ['grpc', 'http'], port: ports, cors: true }).add({
      uses: Greeter,
      usesWith: { greeting: 'yo' },
    });
    flows.push(f);
    await f.start();
    expect(f.doors.map((d) => d.url)).toEqual([
      `grpc://127.0.0.1:${ports[0]}`,
      `http://127.0.0.1:${ports[1]}`,
    ]);
    const res = await fetch(`http://127.0.0.1:${ports[1]}/post`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data: [{ text: 'web' }], execEndpoint: '/' }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { text: string }[] };
    expect(body.data.map((d) => d.text)).toEqual(['yo web']);
  });

  it('answers without waiting for a floating deployment, and close() waits for its work', async () => {
    const { mkdtemp, readdir } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { freePort } = await import('./ports.js');
    const dir = await mkdtemp(join(tmpdir(), 'weft-floating-'));
    const monitoring = await freePort();
    const f = new Flow({ monitoring: { port: monitoring } })
      .add({ uses: Greeter, name: 'greet', usesWith: { greeting: 'hi' } })
      .add({ uses: SlowRecorder, name: 'record', usesWith: { dir, delayMs: 1500 }, floating: true });
    await f.start();
    const c = new Client({ port: f.port! });
    const t0 = Date.now();
    const r = await c.post('/', new DocumentArray([{ id: 'doc1', text: 'a' }]));
    expect(Date.now() - t0).toBeLessThan(1200);
    expect(r.texts).toEqual(['hi a']);
    c.close();
    const metrics = await fetch(`http://127.0.0.1:${monitoring}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/# TYPE \S+ (counter|histogram|gauge)/);
    expect(await readdir(dir)).toEqual([]);
    await f.close();
    expect(await readdir(dir)).toEqual(['doc1']);
  });

  it('serves its gateway over TLS when given a certificate and key', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { waitForServing } = await import('@weft/core/grpc');
    const dir = await mkdtemp(join(tmpdir(), 'weft-tls-'));
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const f = new Flow({ tls: { certFile, keyFile } }).add({ uses: WhoAmI });
    flows.push(f);
    await f.start(); // readiness already checked the health service over TLS
    expect(f.doors[0]!.url).toBe(`grpcs://127.0.0.1:${f.port}`);
    expect(await waitForServing(`127.0.0.1:${f.port}`, { tls: true, timeoutMs: 3000 })).toBe(true);
    expect(await waitForServing(`127.0.0.1:${f.port}`, { tls: false, timeoutMs: 1000 })).toBe(false);
  });

  it('fails start() fast when an executor constructor throws, naming it and the cause, leaving nothing running', async () => {
    // BrokenInit has no @requests methods, so Weft cannot tell its module: name it.
    const f = new Flow()
      .add({ uses: WhoAmI, name: 'fine' })
      .add({ uses: './test-fixtures/executors.ts#BrokenInit', name: 'broken' });
    const t0 = Date.now();
    const err = await f.start().catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(err).toBeInstanceOf(RuntimeStartError);
    expect((err as Error).message).toMatch(/broken\/rep-0/);
    expect((err as Error).message).toMatch(/model file missing/);
    await new Promise((r) => setTimeout(r, 100));
    for (const r of f.describe()) expect(alive(r.pid)).toBe(false);
  });

  it('rejects topology errors when the Flow is built', () => {
    expect(() => new Flow().add({ uses: WhoAmI, name: 'a' }).add({ uses: WhoAmI, name: 'a' })).toThrow(
      /already taken/,
    );
    expect(() => new Flow().add({ uses: WhoAmI, needs: 'nowhere' }).validate()).toThrow(/needs 'nowhere'/);
    expect(() => new Flow().add({ uses: WhoAmI, replicas: 0 })).toThrow(/replicas must be/);
  });

  it('builds the graph description of chains and branches', () => {
    const f = new Flow()
      .add({ uses: WhoAmI, name: 'a' })
      .add({ uses: WhoAmI, name: 'b', needs: 'gateway' })
      .add({ uses: WhoAmI, name: 'c', needs: ['a', 'b'] });
    expect(f.graphDescription()).toEqual({
      'start-gateway': ['a', 'b'],
      a: ['c'],
      b: ['c'],
      c: ['end-gateway'],
    });
  });
});

describe('loadFlowYaml', () => {
  it('serves a Flow whose executors are TypeScript modules next to the YAML', async () => {
    const f = await loadFlowYaml(fixture('flow.yml'));
    flows.push(f);
    expect(f.deploymentNames).toEqual(['greeter', 'executor1']);
    await f.start();
    const c = new Client({ port: f.port! });
    const r = await c.post('/', new DocumentArray([{ text: 'a' }, { text: 'b' }]));
    expect(r.texts).toEqual(['hello aseen;', 'hello bseen;']);
    c.close();
  });

  it('reports every schema problem with its path', async () => {
    const { writeFile, mkdtemp } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'weft-'));
    const file = join(dir, 'bad.yml');
    await writeFile(file, 'jtype: Flow\nexecutors:\n  - uses: 3\n    replicas: -1\n');
    const err = (await loadFlowYaml(file).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/executors\.0\.uses/);
    expect(err.message).toMatch(/executors\.0\.replicas/);
    await expect(loadFlowYaml(join(dir, 'missing.yml'))).rejects.toThrow(/no such file/);
  });
});
