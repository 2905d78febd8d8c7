import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = (...args: string[]) =>
  promisify(execFile)(process.execPath, [cli, ...args], { timeout: 20_000 }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

describe('weft CLI', () => {
  it('prints help naming its commands', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: weft/);
    expect(r.stdout).toMatch(/flow/);
  });
  it('prints its version', async () => {
    const r = await run('--version');
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
  it('fails with a clear message and exit code 1 for a missing Flow file', async () => {
    const r = await run('flow', '--uses', '/nowhere/flow.yml');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read Flow YAML '\/nowhere\/flow.yml': no such file/);
  });
});
