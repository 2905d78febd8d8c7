/**
 * @internal The `k` smallest keys seen, ties going to the smaller index (the one offered first when
 * indices ascend). A max-heap on (key, index).
 */
export class TopK {
  readonly keys: Float64Array;
  readonly idx: Int32Array;
  size = 0;
  readonly k: number;
  constructor(k: number) {
    this.k = k;
    this.keys = new Float64Array(k);
    this.idx = new Int32Array(k);
  }
  #worse(a: number, b: number): boolean {
    const ka = this.keys[a]!;
    const kb = this.keys[b]!;
    return ka > kb || (ka === kb && this.idx[a]! > this.idx[b]!);
  }
  #swap(a: number, b: number): void {
    const k = this.keys[a]!;
    this.keys[a] = this.keys[b]!;
    this.keys[b] = k;
    const i = this.idx[a]!;
    this.idx[a] = this.idx[b]!;
    this.idx[b] = i;
  }
  /** The worst key kept, or +Infinity while not full. */
  get bound(): number {
    return this.size < this.k ? Number.POSITIVE_INFINITY : this.keys[0]!;
  }
  offer(key: number, index: number): void {
    if (this.k === 0 || Number.isNaN(key)) return;
    if (this.size < this.k) {
      let i = this.size++;
      this.keys[i] = key;
      this.idx[i] = index;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.#worse(i, p)) break;
        this.#swap(i, p);
        i = p;
      }
      return;
    }
    const top = this.keys[0]!;
    if (key > top || (key === top && index > this.idx[0]!)) return;
    this.keys[0] = key;
    this.idx[0] = index;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.size && this.#worse(l, m)) m = l;
      if (r < this.size && this.#worse(r, m)) m = r;
      if (m === i) break;
      this.#swap(i, m);
      i = m;
    }
  }
  /** The kept (key, index) pairs, best first. */
  sorted(): { key: number; index: number }[] {
    const out: { key: number; index: number }[] = [];
    for (let i = 0; i < this.size; i++) out.push({ key: this.keys[i]!, index: this.idx[i]! });
    return out.sort((a, b) => a.key - b.key || a.index - b.index);
  }
}
