import { createRequire } from 'node:module';

/** The version of the `weft` package. */
export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;
