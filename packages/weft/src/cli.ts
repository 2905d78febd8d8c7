#!/usr/bin/env node
import { type Command, CommanderError } from 'commander';
import { UsageError } from './commands/args.js';
import { buildProgram } from './program.js';

/** Exit code of a command-line usage error (unknown option, bad argument). */
const USAGE = 2;

const program = buildProgram();
// Usage errors exit 2 in every subcommand; help and version exit 0.
const override = (cmd: Command): void => {
  cmd.exitOverride();
  for (const sub of cmd.commands) override(sub);
};
override(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // commander has printed the message already.
    process.exitCode = err.exitCode === 0 ? 0 : USAGE;
    return;
  }
  const e = err as Error;
  console.error(`weft: ${e.message}`);
  process.exitCode = err instanceof UsageError ? USAGE : 1;
});

export type { Command };
