// Executors the reliability cases run in real replica processes (Flows and `weft executor`).
import type { DocumentArray } from '@weft/docarray';
import { Executor, type RequestContext, requests } from '@weft/executor-runtime';

/** Appends `;` to every text and tags each doc with the runtime name and pid that handled it. */
export class Tagger extends Executor {
  @requests()
  tag(docs: DocumentArray) {
    for (const d of docs) {
      d.text += ';';
      d.tags = { ...d.tags, runtime: this.runtimeArgs.name, pid: process.pid };
    }
  }
}

/** Sleeps `parameters.sleepMs` (default 500) before tagging; serve it with `--allow-concurrent`. */
export class Sleeper extends Executor {
  @requests()
  async sleep(docs: DocumentArray, ctx: RequestContext) {
    const ms = Number(ctx.parameters.sleepMs ?? 500);
    await new Promise((r) => setTimeout(r, ms));
    for (const d of docs) d.tags = { ...d.tags, runtime: this.runtimeArgs.name, slept: ms };
  }
}

/** The seed pipeline's first Executor (as in examples/seed): appends 'hello, world!'. */
export class FooExec extends Executor {
  @requests()
  async addText(docs: DocumentArray) {
    for (const d of docs) d.text += 'hello, world!';
  }
}

/** The seed pipeline's second Executor: appends 'goodbye!'. */
export class BarExec extends Executor {
  @requests()
  async addText(docs: DocumentArray) {
    for (const d of docs) d.text += 'goodbye!';
  }
}
