import type { DocumentArray } from '@weft/docarray';
import { Executor, requests } from '@weft/executor-runtime';

/** Tags every doc with the pid and runtime name of the replica that handled it. */
export class WhoAmI extends Executor {
  @requests()
  tag(docs: DocumentArray) {
    for (const d of docs) {
      d.text += 'seen;';
      d.tags = { ...d.tags, pid: process.pid, runtime: this.runtimeArgs.name };
    }
  }
}

/** Fails in its constructor. */
export class BrokenInit extends Executor {
  constructor(args: unknown) {
    super(args);
    throw new Error('model file missing: /nowhere/model.bin');
  }
}

/** Uses its `with` arguments. */
export class Greeter extends Executor {
  readonly greeting: string;
  constructor(args: { greeting?: string }) {
    super(args);
    this.greeting = args.greeting ?? 'hi';
  }
  @requests()
  greet(docs: DocumentArray) {
    for (const d of docs) d.text = `${this.greeting} ${d.text}`;
  }
}

/** Slowly records every document: writes `<dir>/<id>` after `delayMs`. */
export class SlowRecorder extends Executor {
  readonly dir: string;
  readonly delayMs: number;
  constructor(args: { dir: string; delayMs?: number }) {
    super(args);
    this.dir = args.dir;
    this.delayMs = args.delayMs ?? 800;
  }
  @requests()
  async record(docs: DocumentArray) {
    await new Promise((r) => setTimeout(r, this.delayMs));
    const { writeFile } = await import('node:fs/promises');
    for (const d of docs) await writeFile(`${this.dir}/${d.id}`, d.text);
  }
}

class FatalError extends Error {
  override name = 'FatalError';
}

/** Throws a FatalError for a document with text 'boom'; tags the others with its pid and env. */
export class Fragile extends Executor {
  @requests()
  run(docs: DocumentArray) {
    for (const d of docs) {
      if (d.text === 'boom') throw new FatalError('boom asked for');
      d.tags = { ...d.tags, pid: process.pid, env: process.env.WEFT_TEST_ENV ?? '' };
    }
  }
}
