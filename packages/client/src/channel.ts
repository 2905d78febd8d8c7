/**
 * @internal A single-consumer async queue: producers `push`, `end` or `fail`; the consumer
 * iterates. Unbounded by itself: callers bound it (the engine's prefetch slots).
 */
export class Channel<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #head = 0;
  #done = false;
  #error: { err: unknown } | undefined;
  #wake: (() => void) | undefined;

  push(item: T): void {
    if (this.#done || this.#error) return;
    this.#items.push(item);
    this.#notify();
  }

  end(): void {
    this.#done = true;
    this.#notify();
  }

  fail(err: unknown): void {
    if (this.#done || this.#error) return;
    this.#error = { err };
    this.#notify();
  }

  get closed(): boolean {
    return this.#done || this.#error !== undefined;
  }

  #notify() {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this.#head < this.#items.length) {
        const item = this.#items[this.#head]!;
        this.#items[this.#head++] = undefined as T;
        if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
          this.#items = this.#items.slice(this.#head);
          this.#head = 0;
        }
        yield item;
        continue;
      }
      if (this.#error) throw this.#error.err;
      if (this.#done) return;
      await new Promise<void>((r) => (this.#wake = r));
    }
  }
}

/** @internal A counting semaphore whose `acquire` can be aborted. */
export class Slots {
  #free: number;
  #waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(n: number) {
    this.#free = n;
  }

  acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const w = {
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(w);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(w);
    });
  }

  release(): void {
    const w = this.#waiters.shift();
    if (w) w.resolve();
    else this.#free++;
  }
}
