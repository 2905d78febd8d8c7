#!/usr/bin/env node
// `npm run bench`: runs every benchmark one after the other (never in parallel: the machine has
// two cores), each printing its own figures and ratios against a baseline measured in the same run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BENCHMARKS = ['seed-chain.ts', 'hot-path.ts', 'orchestrator-startup.ts'];
const only = process.argv.slice(2);
let failed = 0;
for (const name of BENCHMARKS) {
  if (only.length && !only.some((o) => name.includes(o))) continue;
  const file = fileURLToPath(new URL(`./${name}`, import.meta.url));
  if (!existsSync(file)) continue;
  console.log(`\n### ${name}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
