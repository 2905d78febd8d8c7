// An Executor served by the CLI tests through `weft executor`.
import type { DocumentArray } from '@weft/docarray';
import { Executor, type RequestContext, requests } from '@weft/executor-runtime';

export class Shout extends Executor {
  constructor(readonly args: { suffix?: string } = {}) {
    super(args);
  }

  @requests({ on: '/shout' })
  shout(docs: DocumentArray) {
    for (const d of docs) d.text = `${d.text.toUpperCase()}${this.args.suffix ?? ''}`;
  }

  @requests({ on: '/whoami' })
  whoami(_docs: DocumentArray, _ctx: RequestContext) {
    return { name: this.metas.name, runtime: this.runtimeArgs.name, workspace: this.workspace ?? null };
  }
}
