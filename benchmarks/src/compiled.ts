// The benchmark executors compiled to plain JavaScript (esbuild), as executors are deployed: a
// Flow then runs them without the TypeScript loader (tsx), whose loader thread alone adds ~25 MB
// to every executor process.
import { mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const outdir = fileURLToPath(new URL('../.build/', import.meta.url));

/** Compiles `./<name>.ts` next to this file into `.build/<name>.mjs` and imports it. */
export async function importCompiled<T>(name: string): Promise<T> {
  mkdirSync(outdir, { recursive: true });
  const outfile = `${outdir}${name}.mjs`;
  await build({
    entryPoints: [fileURLToPath(new URL(`./${name}.ts`, import.meta.url))],
    outfile,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    bundle: false,
    logLevel: 'warning',
  });
  return (await import(pathToFileURL(outfile).href)) as T;
}
