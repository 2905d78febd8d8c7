#!/usr/bin/env node
import { type Command, InvalidArgumentError } from 'commander';
import { buildProgram } from './program.js';

buildProgram()
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    if (err instanceof InvalidArgumentError) return;
    const e = err as Error;
    console.error(`weft: ${e.message}`);
    process.exitCode = 1;
  });

export type { Command };
