#!/usr/bin/env node
// Regenerates packages/proto/src/gen with `buf generate` and fails when it differs from the
// committed files: generated code is written only by buf, never by hand.
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const gen = spawnSync('npx', ['buf', 'generate'], { cwd: root, stdio: 'inherit' });
if (gen.status !== 0) {
  console.error('check-gen: `buf generate` failed');
  process.exit(1);
}
const diff = spawnSync('git', ['status', '--porcelain', '--', 'packages/proto/src/gen'], {
  cwd: root,
  encoding: 'utf8',
});
if (diff.stdout.trim()) {
  console.error('check-gen: generated code differs from proto/*.proto; run `npm run generate` and commit:');
  console.error(diff.stdout);
  process.exit(1);
}
console.log('check-gen: generated code is up to date');
