// The seed pipeline's Executors, exported so that `npm start` and the tests can serve them.
import type { DocumentArray } from '@weft/docarray';
import { Executor, requests } from '@weft/executor-runtime';

/** Appends 'hello, world!' to every document's text. */
export class FooExec extends Executor {
  @requests()
  async addText(docs: DocumentArray) {
    for (const d of docs) d.text += 'hello, world!';
  }
}

/** Appends 'goodbye!' to every document's text. */
export class BarExec extends Executor {
  @requests()
  async addText(docs: DocumentArray) {
    for (const d of docs) d.text += 'goodbye!';
  }
}
