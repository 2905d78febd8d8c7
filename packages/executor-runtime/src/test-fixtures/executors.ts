// Executors served by the multi-process tests (each in its own runtime process).
import { appendFileSync } from 'node:fs';
import type { JsonObject } from '@bufbuild/protobuf';
import { Document, DocumentArray } from '@weft/docarray';
import { Executor, type RequestContext, dynamicBatching, requests } from '../index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function noteClose(what: string): void {
  const file = process.env.WEFT_TEST_CLOSE_FILE;
  if (file) appendFileSync(file, `${what}\n`);
}

export class Kitchen extends Executor {
  running = 0;
  most = 0;
  lastAbort: JsonObject = {};

  constructor(readonly args: { greeting?: string } = {}) {
    super(args);
  }

  @requests({ on: '/upper' })
  upper(docs: DocumentArray) {
    for (const d of docs) d.text = d.text.toUpperCase();
  }

  @requests({ on: ['/a', '/b'] })
  ab(docs: DocumentArray, ctx: RequestContext) {
    for (const d of docs) d.tags = { endpoint: ctx.endpoint };
  }

  @requests()
  fallback(docs: DocumentArray) {
    for (const d of docs) d.text = `default:${d.text}`;
  }

  @requests({ on: '/replace' })
  replace() {
    return new DocumentArray([{ text: 'new' }]);
  }

  @requests({ on: '/results' })
  results(docs: DocumentArray, ctx: RequestContext) {
    return { count: docs.length, params: ctx.parameters };
  }

  @requests({ on: '/fail' })
  fail(docs: DocumentArray) {
    if (docs.at(0)?.text === 'ok') return;
    throw new TypeError('bad things');
  }

  @requests({ on: '/async' })
  async later(docs: DocumentArray) {
    await sleep(5);
    for (const d of docs) d.text += '!';
  }

  @requests({ on: '/config' })
  config() {
    return {
      with: this.args as JsonObject,
      metas: this.metas as JsonObject,
      runtimeArgs: this.runtimeArgs as unknown as JsonObject,
      workspace: this.workspace ?? null,
      logger: typeof this.logger.info,
    };
  }

  @requests({ on: '/headers' })
  headers(_docs: DocumentArray, ctx: RequestContext) {
    return { value: ctx.headers['x-weft-test'] ?? null };
  }

  @requests({ on: '/deadline' })
  async deadline(_docs: DocumentArray, ctx: RequestContext) {
    const started = Date.now();
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 5000);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });
    this.lastAbort = { aborted: ctx.signal.aborted, afterMs: Date.now() - started };
  }

  @requests({ on: '/last-abort' })
  lastAbortSeen() {
    return this.lastAbort;
  }

  @requests({ on: '/join' })
  join(docs: DocumentArray, ctx: RequestContext) {
    return {
      docs: docs.texts,
      matrix: ctx.docsMatrix?.map((d) => d.texts) ?? null,
      map: Object.fromEntries(Object.entries(ctx.docsMap ?? {}).map(([k, v]) => [k, v.texts])),
    };
  }

  @requests({ on: '/slow' })
  async slow(docs: DocumentArray, ctx: RequestContext) {
    this.running++;
    this.most = Math.max(this.most, this.running);
    await sleep(Number(ctx.parameters.ms ?? 50));
    this.running--;
    for (const d of docs) d.tags = { ...d.tags, done: true };
  }

  @requests({ on: '/most' })
  mostConcurrent() {
    const most = this.most;
    this.most = 0;
    return { most };
  }

  @requests({ on: '/stream' })
  async *stream(doc: Document, ctx: RequestContext) {
    const n = Number(ctx.parameters.n ?? 3);
    for (let i = 0; i < n; i++) {
      await sleep(1);
      yield new Document({ text: `${doc.text}-${i}` });
    }
  }

  @requests({ on: '/stream-fail' })
  async *streamFail(_doc: Document) {
    yield { text: 'one' };
    throw new RangeError('stream broke');
  }

  override close() {
    noteClose(`closed ${this.runtimeArgs.name}`);
  }
}

export class Batched extends Executor {
  calls = 0;
  sizes: number[] = [];

  @requests({ on: '/batch' })
  @dynamicBatching({ preferredBatchSize: 8, timeoutMs: 300 })
  batch(docs: DocumentArray, ctx: RequestContext) {
    this.calls++;
    this.sizes.push(docs.length);
    for (const d of docs) d.tags = { ...d.tags, p: ctx.parameters.p ?? null, call: this.calls };
  }

  @requests({ on: '/bad-batch' })
  @dynamicBatching({ preferredBatchSize: 4, timeoutMs: 200 })
  badBatch(docs: DocumentArray) {
    return new DocumentArray(docs.toArray().slice(1));
  }

  @requests({ on: '/calls' })
  callCount() {
    const r = { calls: this.calls, sizes: this.sizes };
    this.calls = 0;
    this.sizes = [];
    return r;
  }

  override close() {
    noteClose('closed batched');
  }
}

/** Rebound and batched only through YAML (batched.yml). */
export class Plain extends Executor {
  calls = 0;

  constructor(readonly args: { suffix?: string } = {}) {
    super(args);
  }

  @requests({ on: '/original' })
  work(docs: DocumentArray) {
    this.calls++;
    for (const d of docs) d.text = `${d.text}${this.args.suffix ?? ''}#${this.calls}`;
  }

  other(docs: DocumentArray) {
    for (const d of docs) d.text = `other:${d.text}`;
  }
}

export class FatalError extends Error {
  override name = 'FatalError';
}

export class Fragile extends Executor {
  @requests({ on: '/fatal' })
  fatal() {
    throw new FatalError('cannot go on');
  }

  @requests({ on: '/soft' })
  soft() {
    throw new TypeError('recoverable');
  }

  override close() {
    noteClose('closed fragile');
  }
}

export class SlowStart extends Executor {
  constructor(args?: unknown) {
    super(args);
    // Block like a model load would, then say when construction finished.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
    process.stdout.write(`constructed at ${Date.now()}\n`);
  }

  @requests()
  noop() {}
}

export class BrokenStart extends Executor {
  constructor(args?: unknown) {
    super(args);
    throw new Error('model file missing');
  }
}

export class NoBinding extends Executor {}

export const notAnExecutor = 42;
