// The seed pipeline's Executors for the orchestrator benchmark.
import type { DocumentArray } from '@weft/docarray';
import { Executor, requests } from '@weft/executor-runtime';

export class FooExec extends Executor {
  @requests()
  add(docs: DocumentArray) {
    for (const d of docs) d.text += 'hello, world!';
  }
}

export class BarExec extends Executor {
  @requests()
  add(docs: DocumentArray) {
    for (const d of docs) d.text += 'goodbye!';
  }
}
