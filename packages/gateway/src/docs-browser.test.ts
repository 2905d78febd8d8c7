import { serveExecutor, type Worker } from '@weft/executor-runtime';
import pino from 'pino';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from './index.js';
import { ensureChromium } from './test-fixtures/chromium.js';
import { appender } from './test-fixtures/harness.js';

// Renders Swagger UI at /docs in headless Chromium (Debian's package; installed by ensureChromium
// when missing) and checks that it lists the gateway's routes from /openapi.json.
let worker: Worker;
let gw: Gateway;
let browser: Browser;
beforeAll(async () => {
  const executablePath = ensureChromium();
  worker = await serveExecutor({ uses: appender('A'), name: 'a' });
  gw = await startGateway({
    graph: { 'start-gateway': ['a'], a: ['end-gateway'] },
    addresses: { a: [`127.0.0.1:${worker.port}`] },
    protocol: 'http',
    logger: pino({ level: 'silent' }),
  });
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}, 900_000);
afterAll(async () => {
  await browser?.close();
  await gw?.close(1000);
  await worker?.close(1000);
});

describe('Swagger UI at /docs', () => {
  it('renders in headless Chromium from bundled assets and lists the routes', async () => {
    const page = await browser.newPage();
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(`http://127.0.0.1:${gw.port}`)) external.push(r.url());
    });
    await page.goto(`http://127.0.0.1:${gw.port}/docs`, { timeout: 30_000 });
    await page.waitForSelector('.opblock-summary-path', { timeout: 30_000 });
    const paths = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.textContent?.trim()));
    expect(paths).toEqual(
      expect.arrayContaining(['/post', '/index', '/search', '/update', '/delete', '/status', '/dry_run']),
    );
    expect(await page.textContent('.title')).toMatch(/Weft Gateway/);
    expect(external).toEqual([]);
    await page.close();
  }, 60_000);
});
