import { createServer, connect, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy } from './index.js';

let echo: Server | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await new Promise<void>((r) => (echo ? echo.close(() => r()) : r()));
  proxy = undefined;
  echo = undefined;
});

async function startEcho(): Promise<number> {
  echo = createServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => echo!.listen(0, '127.0.0.1', () => r()));
  return (echo.address() as { port: number }).port;
}

/** Sends `text` through the proxy; resolves with the echo, or the error/close that came instead. */
function roundTrip(port: number, text: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const t = setTimeout(() => {
      s.destroy();
      resolve(`timeout:${got}`);
    }, timeoutMs);
    s.on('data', (d) => {
      got += d.toString();
      if (got.length >= text.length) {
        clearTimeout(t);
        s.end();
        resolve(got);
      }
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      resolve(`error:${e.code}`);
    });
    s.on('close', () => {
      clearTimeout(t);
      resolve(got || 'closed');
    });
    s.write(text);
  });
}

describe('FaultProxy', () => {
  it('forwards both ways when passing', async () => {
    proxy = await FaultProxy.start({ port: await startEcho() });
    expect(await roundTrip(proxy.port, 'hello')).toBe('hello');
    expect(proxy.stats.bytesUp).toBe(5);
    expect(proxy.stats.bytesDown).toBe(5);
  });

  it('adds latency in each direction', async () => {
    proxy = await FaultProxy.start({ port: await startEcho() }, 0, { latencyMs: 100 });
    const t0 = Date.now();
    expect(await roundTrip(proxy.port, 'x')).toBe('x');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
  });

  it('resets new connections in reset mode', async () => {
    proxy = await FaultProxy.start({ port: await startEcho() }, 0, { mode: 'reset' });
    expect(await roundTrip(proxy.port, 'x')).toMatch(/^error:ECONNRESET$|^closed$/);
    expect(proxy.stats.reset).toBe(1);
  });

  it('swallows everything in blackhole mode', async () => {
    proxy = await FaultProxy.start({ port: await startEcho() }, 0, { mode: 'blackhole' });
    expect(await roundTrip(proxy.port, 'x', 300)).toBe('timeout:');
  });

  it('drops about the given share of connections', async () => {
    proxy = await FaultProxy.start({ port: await startEcho() }, 0, { dropShare: 0.5 });
    const results = await Promise.all(Array.from({ length: 60 }, () => roundTrip(proxy!.port, 'ok')));
    const ok = results.filter((r) => r === 'ok').length;
    expect(ok).toBeGreaterThan(10);
    expect(ok).toBeLessThan(50);
    expect(proxy.stats.dropped + proxy.stats.accepted).toBe(60);
  });
});
