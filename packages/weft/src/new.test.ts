import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const exec = promisify(execFile);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-new-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('weft new', () => {
  it('scaffolds a project whose `npm install && npm test` passes, with Weft packed into vendor/', async () => {
    const made = await exec(process.execPath, [cli, 'new', 'demo'], { cwd: dir, timeout: 120_000 });
    expect(made.stdout).toMatch(/next: cd demo && npm install && npm test/);
    const demo = join(dir, 'demo');
    const pkg = JSON.parse(await readFile(join(demo, 'package.json'), 'utf8'));
    expect(pkg.dependencies.weft).toBe('file:vendor/weft-0.1.0.tgz');
    expect(pkg.overrides['@weft/orchestrator']).toBe('file:vendor/weft-orchestrator-0.1.0.tgz');
    await exec('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: demo,
      timeout: 240_000,
    });
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.FORCE_COLOR;
    const test = await exec('npm', ['test'], { cwd: demo, timeout: 120_000, env });
    expect(test.stdout).toMatch(/Tests\s+2 passed \(2\)/);
    await exec('npx', ['tsc'], { cwd: demo, timeout: 120_000 });
  }, 480_000);

  it('refuses a folder that exists and is not empty, and names that npm rejects', async () => {
    const again = await exec(process.execPath, [cli, 'new', 'demo'], { cwd: dir }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((again as { code: number }).code).toBe(2);
    expect((again as { stderr: string }).stderr).toMatch(/exists and is not empty/);
    const bad = await exec(process.execPath, [cli, 'new', 'Bad Name'], { cwd: dir }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((bad as { code: number }).code).toBe(2);
    expect((bad as { stderr: string }).stderr).toMatch(/not a valid npm package name/);
  });
});
