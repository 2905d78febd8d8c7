import { Client } from '@weft/client';
import { DocumentArray } from '@weft/docarray';
import { afterEach, describe, expect, it } from 'vitest';
import { Deployment, Flow } from './index.js';
import { freePort } from './ports.js';
import { Greeter, WhoAmI } from './test-fixtures/executors.js';

const closers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c.close();
});

describe('Deployment', () => {
  it('serves one Executor behind a gateway and posts to it', async () => {
    const d = new Deployment({ uses: WhoAmI, replicas: 2, name: 'who' });
    closers.push(d);
    await d.start();
    expect(d.describe().map((r) => r.name)).toEqual(['gateway', 'who/rep-0', 'who/rep-1']);
    const r = await d.post('/', DocumentArray.empty(3));
    expect(r.texts).toEqual(['seen;', 'seen;', 'seen;']);
    expect(String(r.at(0)!.tags.runtime)).toMatch(/^who\/rep-[01]$/);
  });

  it('serves a single replica on its own port without a gateway', async () => {
    const port = await freePort();
    await using d = await new Deployment({
      uses: Greeter,
      usesWith: { greeting: 'ahoy' },
      includeGateway: false,
      port,
    }).start();
    expect(d.port).toBe(port);
    expect(d.describe().map((r) => [r.name, r.port])).toEqual([['executor/rep-0', port]]);
    const c = new Client({ port });
    const r = await c.post('/', new DocumentArray([{ text: 'x' }]));
    c.close();
    expect(r.texts).toEqual(['ahoy x']);
  });

  it('is used by a Flow as an external deployment, started separately', async () => {
    const port = await freePort();
    const ext = new Deployment({ uses: Greeter, usesWith: { greeting: 'ext' }, includeGateway: false, port });
    closers.push(ext);
    await ext.start();
    const f = new Flow()
      .add({ uses: WhoAmI, name: 'local' })
      .add({ name: 'remote', external: true, host: '127.0.0.1', port });
    closers.push(f);
    await f.start();
    expect(f.describe().map((r) => r.name)).toEqual(['gateway', 'local/rep-0']);
    const c = new Client({ port: f.port! });
    const r = await c.post('/', new DocumentArray([{ text: 'a' }]));
    c.close();
    expect(r.texts).toEqual(['ext aseen;']);
  });

  it('rejects options that cannot work', () => {
    expect(() => new Deployment({ uses: WhoAmI, includeGateway: false, protocol: 'http' })).toThrow(
      /gRPC only/,
    );
    expect(() => new Deployment({ name: 'x', external: true, port: 1, includeGateway: false })).toThrow(
      /nothing to start/,
    );
  });
});
