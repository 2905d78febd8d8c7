import type { JsonObject } from '@bufbuild/protobuf';
import { DocumentArray } from '@weft/docarray';
import type { DynamicBatchingOptions } from './executor.js';

/** What one request in a batch gets back: its own documents, and the batch's results object if any. */
export interface BatchResult {
  docs: DocumentArray;
  results?: JsonObject;
}

/** Runs one batch: all queued documents of requests with the same parameters, in arrival order. */
export type BatchRunner = (
  docs: DocumentArray,
  parameters: JsonObject,
  headers: Record<string, string>,
) => Promise<DocumentArray | JsonObject | undefined>;

/** Error given to every request of a batch whose handler returned a different number of documents. */
export class BatchSizeMismatchError extends Error {
  override name = 'BatchSizeMismatchError';
}

interface Entry {
  docs: DocumentArray;
  resolve: (r: BatchResult) => void;
  reject: (e: unknown) => void;
}

interface Queue {
  parameters: JsonObject;
  headers: Record<string, string>;
  entries: Entry[];
  count: number;
  timer: NodeJS.Timeout | undefined;
}

/** JSON with object keys sorted, so that equal parameters give equal keys whatever their order. */
function stableKey(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableKey).join(',')}]`;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableKey(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Dynamic batching for one endpoint: requests with identical parameters are queued together and
 * run as one batch once `preferredBatchSize` documents are queued or the oldest request has waited
 * `timeoutMs`. Each request gets back exactly its own documents, in order.
 */
export class DynamicBatcher {
  readonly #options: Required<DynamicBatchingOptions>;
  readonly #run: BatchRunner;
  readonly #endpoint: string;
  readonly #queues = new Map<string, Queue>();
  readonly #running = new Set<Promise<void>>();
  #draining = false;

  constructor(endpoint: string, options: Required<DynamicBatchingOptions>, run: BatchRunner) {
    this.#endpoint = endpoint;
    this.#options = options;
    this.#run = run;
  }

  /** Queues a request's documents; resolves with its share of the batch result. */
  submit(docs: DocumentArray, parameters: JsonObject, headers: Record<string, string>): Promise<BatchResult> {
    const key = stableKey(parameters);
    let q = this.#queues.get(key);
    if (!q) {
      q = { parameters, headers, entries: [], count: 0, timer: undefined };
      this.#queues.set(key, q);
      const queue = q;
      q.timer = setTimeout(() => this.#flushQueue(key, queue), this.#options.timeoutMs);
    }
    const queue = q;
    const result = new Promise<BatchResult>((resolve, reject) => {
      queue.entries.push({ docs, resolve, reject });
    });
    queue.count += docs.length;
    // While draining, nothing waits for company: a request that got in late runs at once.
    if (this.#draining || queue.count >= this.#options.preferredBatchSize) this.#flushQueue(key, queue);
    return result;
  }

  /**
   * Runs every queued batch now and waits for all batches, queued or running, to finish. From then
   * on, each submitted request runs at once (the runtime is draining).
   */
  async flush(): Promise<void> {
    this.#draining = true;
    for (const [key, q] of [...this.#queues]) this.#flushQueue(key, q);
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  #flushQueue(key: string, q: Queue): void {
    if (this.#queues.get(key) !== q) return;
    this.#queues.delete(key);
    clearTimeout(q.timer);
    const p = this.#execute(q).finally(() => this.#running.delete(p));
    this.#running.add(p);
  }

  async #execute(q: Queue): Promise<void> {
    const all = new DocumentArray();
    for (const e of q.entries) all.pushRaw(e.docs.toArray());
    let out: DocumentArray | JsonObject | undefined;
    try {
      out = await this.#run(all, q.parameters, q.headers);
    } catch (err) {
      for (const e of q.entries) e.reject(err);
      return;
    }
    const isDocs = out instanceof DocumentArray;
    const docs = isDocs ? (out as DocumentArray) : all;
    if (docs.length !== q.count) {
      const err = new BatchSizeMismatchError(
        `dynamic batching on '${this.#endpoint}': the handler was given ${q.count} documents from ` +
          `${q.entries.length} requests and returned ${docs.length}; a batched handler must return ` +
          'exactly one document per input document, in order (or turn dynamic batching off for this endpoint)',
      );
      for (const e of q.entries) e.reject(err);
      return;
    }
    const list = docs.toArray();
    const results = !isDocs && out && typeof out === 'object' ? (out as JsonObject) : undefined;
    let at = 0;
    for (const e of q.entries) {
      const mine = new DocumentArray();
      mine.pushRaw(list.slice(at, at + e.docs.length));
      at += e.docs.length;
      e.resolve({ docs: mine, results });
    }
  }
}
