// A no-op executor for benchmarks: binds the default endpoint and leaves the docs as they are.
import type { DocumentArray } from '@weft/docarray';
import { Executor, requests } from '@weft/executor-runtime';

export class NoOp extends Executor {
  @requests()
  noop(_docs: DocumentArray) {}
}
