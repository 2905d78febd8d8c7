#!/usr/bin/env node
// `npm test`: builds every package, runs every project's vitest suite through nx, then prints
// one summary line `N passed, N failed` from the JSON reports each suite writes.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const projectDirs = ['packages', 'examples']
  .flatMap((d) =>
    readdirSync(join(root, d), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(root, d, e.name)),
  )
  .filter((dir) => existsSync(join(dir, 'package.json')));

for (const dir of projectDirs) rmSync(join(dir, '.test-results'), { recursive: true, force: true });

const run = (args) => spawnSync('npx', ['nx', ...args], { cwd: root, stdio: 'inherit', env: process.env });
const build = run(['run-many', '-t', 'build', '--output-style=static']);
if (build.status !== 0) {
  console.log('0 passed, 1 failed');
  console.error('build failed: no tests were run');
  process.exit(1);
}
const extra = process.argv.slice(2);
const test = run(['run-many', '-t', 'test', '--parallel=1', '--output-style=stream', ...extra]);

let passed = 0;
let failed = 0;
let suitesMissing = 0;
for (const dir of projectDirs) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (!pkg.scripts?.test) continue;
  const report = join(dir, '.test-results', 'vitest.json');
  if (!existsSync(report)) {
    suitesMissing++;
    console.error(`no test report from ${pkg.name}: its suite did not run to the end`);
    continue;
  }
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed += r.numPassedTests ?? 0;
  // A suite that fails to load has no failed tests of its own: count it once.
  failed += (r.numFailedTests ?? 0) || (r.numFailedTestSuites ?? 0);
}
failed += suitesMissing;
if (test.status !== 0 && failed === 0) {
  failed = 1;
  console.error('a test target failed without a failing test in its report (see the output above)');
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(test.status !== 0 || failed > 0 ? 1 : 0);
