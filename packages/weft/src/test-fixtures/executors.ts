import type { DocumentArray } from '@weft/docarray';
import { Executor, requests } from '@weft/executor-runtime';

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
