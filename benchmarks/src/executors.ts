// The seed pipeline's executors, for benchmarks.
import type { DocumentArray } from '@weft/docarray';
import { Executor, requests } from '@weft/executor-runtime';

export class FooExec extends Executor {
  @requests()
  addText(docs: DocumentArray) {
    for (const d of docs) d.text += 'hello, world!';
  }
}

export class BarExec extends Executor {
  @requests()
  addText(docs: DocumentArray) {
    for (const d of docs) d.text += 'goodbye!';
  }
}
