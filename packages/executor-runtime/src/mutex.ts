/** A FIFO lock: `acquire()` resolves with a release function once the lock is free. */
export class Mutex {
  #locked = false;
  #waiters: (() => void)[] = [];

  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => {
        this.#locked = true;
        resolve(() => this.#release());
      };
      if (this.#locked) this.#waiters.push(grant);
      else grant();
    });
  }

  #release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#locked = false;
  }
}
