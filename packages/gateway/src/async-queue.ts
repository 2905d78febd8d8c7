/** An unbounded async queue: `push` values, `end()` or `fail()` it, iterate with `for await`. */
export class AsyncQueue<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #waiter: (() => void) | undefined;
  #done = false;
  #error: unknown;
  #failed = false;
  readonly #onTake: (() => void) | undefined;

  /** @param onTake - called after each item the consumer takes (for backpressure). */
  constructor(onTake?: () => void) {
    this.#onTake = onTake;
  }

  /** Items pushed and not yet taken. */
  get size(): number {
    return this.#items.length;
  }

  push(item: T): void {
    this.#items.push(item);
    this.#wake();
  }

  end(): void {
    this.#done = true;
    this.#wake();
  }

  fail(err: unknown): void {
    this.#failed = true;
    this.#error = err;
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.#items.length) {
        const item = this.#items.shift()!;
        this.#onTake?.();
        yield item;
        continue;
      }
      if (this.#failed) throw this.#error;
      if (this.#done) return;
      await new Promise<void>((r) => {
        this.#waiter = r;
      });
    }
  }
}
