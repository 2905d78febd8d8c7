import type { DocumentArray } from '@weft/docarray';
import { Executor, type RequestContext, requests } from '@weft/executor-runtime';

/** Appends 'hello, world!' (the seed pipeline's first step). */
export class FooExec extends Executor {
  @requests()
  add(docs: DocumentArray) {
    for (const d of docs) d.text += 'hello, world!';
  }
}

/** Appends 'goodbye!' (the seed pipeline's second step). */
export class BarExec extends Executor {
  @requests()
  add(docs: DocumentArray) {
    for (const d of docs) d.text += 'goodbye!';
  }
}

/** Appends its `mark` to every document's text. */
export class Mark extends Executor {
  readonly mark: string;
  constructor(args: { mark?: string }) {
    super(args);
    this.mark = args.mark ?? '?';
  }
  @requests()
  add(docs: DocumentArray) {
    for (const d of docs) d.text += this.mark;
  }
}

/** A join without reduce: each document's text becomes the texts of every part, joined by '|'. */
export class Joiner extends Executor {
  @requests()
  join(docs: DocumentArray, ctx: RequestContext) {
    const parts = ctx.docsMatrix ?? [docs];
    for (const d of docs) {
      const texts = parts.map((p) => [...p].find((x) => x.id === d.id)?.text).filter((t) => t !== undefined);
      d.text = `${texts.join('|')}J`;
    }
  }
}

/** Greets: prefixes every text with its `greeting`. */
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
