#!/usr/bin/env node
// Builds every package through nx, printing nx's output only when the build fails.
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const r = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '--output-style=static'], {
  cwd: root,
  encoding: 'utf8',
});
if (r.status !== 0) {
  process.stderr.write(r.stdout + r.stderr);
  console.error('build failed (output above)');
  process.exit(r.status ?? 1);
}
