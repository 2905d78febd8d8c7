import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNoopFlow } from './test-fixtures/flow.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('./test-fixtures/rss-client.mjs', import.meta.url));
// 1 000 000 documents (about 15–20 s here); WEFT_CLIENT_MEMORY_DOCS sets another count.
// The child runs the built package (dist), as an application would.
const COUNT = Number(process.env.WEFT_CLIENT_MEMORY_DOCS ?? 1_000_000);

let flow: Awaited<ReturnType<typeof startNoopFlow>>;
beforeAll(async () => {
  flow = await startNoopFlow();
});
afterAll(async () => {
  await flow?.close();
});

describe('memory', () => {
  it(`an async generator of ${COUNT} small documents streams through with the client's RSS under 200 MB`, async () => {
    const { stdout } = await run(process.execPath, [script, String(flow.port), String(COUNT)], {
      timeout: 170_000,
    });
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      docs: number;
      requests: number;
      peakRssMb: number;
      seconds: number;
    };
    console.log(`memory test: ${JSON.stringify(r)}`);
    expect(r.docs).toBe(COUNT);
    expect(r.requests).toBe(Math.ceil(COUNT / 100));
    expect(r.peakRssMb).toBeLessThan(200);
  }, 180_000);
});
