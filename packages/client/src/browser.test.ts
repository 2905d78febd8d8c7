import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestFlow, type TestFlow } from './test-fixtures/flow.js';
import { startGrpcWebProxy } from './test-fixtures/grpc-web-proxy.js';

const CHROMIUM = process.env.WEFT_CHROMIUM ?? '/usr/bin/chromium';
const page = fileURLToPath(new URL('./test-fixtures/browser-page.ts', import.meta.url));

/** Debian's chromium, installed with apt-get when missing (the machine's root may do so). */
function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  try {
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], {
      stdio: 'pipe',
      timeout: 240_000,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (err) {
    throw new Error(
      `the browser test needs Chromium at ${CHROMIUM}; 'apt-get install -y chromium' failed (${(err as Error).message}). Install it, or point WEFT_CHROMIUM at a Chromium binary`,
    );
  }
  return CHROMIUM;
}

/** Bundles the page script with the client's browser build; any Node built-in fails the build. */
async function bundle(): Promise<{ code: string; inputs: string[] }> {
  const r = await build({
    entryPoints: [page],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return { code: r.outputFiles[0]!.text, inputs: Object.keys(r.metafile.inputs) };
}

let flow: TestFlow;
let browser: Browser | undefined;
let site: Server;
let js = '';
let grpcWeb: Awaited<ReturnType<typeof startGrpcWebProxy>>;

beforeAll(async () => {
  const executablePath = ensureChromium();
  js = (await bundle()).code;
  flow = await startTestFlow({ protocols: ['http', 'websocket', 'grpc'], cors: true });
  grpcWeb = await startGrpcWebProxy(flow.ports.grpc!);
  site = createServer((req, res) => {
    if (req.url?.startsWith('/app.js')) {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    } else {
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(
          '<!doctype html><title>weft</title><pre id="result">running</pre><script type="module" src="/app.js"></script>',
        );
    }
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu'],
    timeout: 60_000,
  });
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => site?.close(r));
  await grpcWeb?.close();
  await flow?.close();
});

describe('browser bundle', () => {
  it('has no Node built-ins, connect-node or undici on the browser path', async () => {
    const { inputs } = await bundle();
    expect(inputs.filter((f) => /(^|\/)client\/dist\/browser\.js$|^dist\/browser\.js$/.test(f))).toHaveLength(
      1,
    );
    expect(inputs.filter((f) => /connect-node|undici|cli-progress|node:/.test(f))).toEqual([]);
  });

  it('a web page posts to a running Flow over HTTP, WebSocket and gRPC-web and shows the result', async () => {
    const p = await browser!.newPage();
    try {
      const url = `http://127.0.0.1:${(site.address() as AddressInfo).port}/?http=${flow.ports.http}&websocket=${flow.ports.websocket}&grpc-web=${grpcWeb.port}`;
      await p.goto(url);
      await p.waitForFunction("document.getElementById('result').textContent !== 'running'", undefined, {
        timeout: 20_000,
      });
      const text = (await p.textContent('#result')) ?? '';
      expect(text).not.toMatch(/^FAILED/);
      const out = JSON.parse(text);
      expect(out.http).toEqual(['FROM THE BROWSER!', 'AGAIN!']);
      expect(out.websocket).toEqual(['FROM THE BROWSER!', 'AGAIN!']);
      expect(out.httpReady).toBe(true);
      expect(out.websocketReady).toBe(true);
      expect(out.httpError).toBe('ExecutorError: upper');
      expect(out.websocketError).toBe('ExecutorError: upper');
      expect(out['grpc-web']).toEqual(['FROM THE BROWSER!', 'AGAIN!']);
      expect(out['grpc-webReady']).toBe(true);
      expect(out['grpc-webError']).toBe('ExecutorError: upper');
      expect(out.grpc).toMatch(/cannot run in a browser/);
    } finally {
      await p.close();
    }
  });
});
