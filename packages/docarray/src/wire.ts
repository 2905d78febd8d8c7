import { FormatError } from './errors.js';

/** @internal Bytes a varint of `v` (a uint32 or a non-negative safe integer) takes. */
export function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  if (v < 0x800000000) return 5;
  return Math.ceil(Math.log2(v + 1) / 7);
}

/** @internal UTF-8 byte length of a string. */
export function utf8Size(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2;
        i++;
      } else n += 2;
    } else n += 2;
  }
  return n;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

/** @internal A writer into a buffer of a size computed in advance. */
export class Writer {
  readonly buf: Uint8Array;
  readonly view: DataView;
  pos = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }
  byte(b: number): void {
    this.buf[this.pos++] = b;
  }
  varint(v: number): void {
    const buf = this.buf;
    while (v > 0x7f) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v = v > 0xffffffff ? Math.floor(v / 128) : v >>> 7;
    }
    buf[this.pos++] = v;
  }
  /** A tag known to fit one or two bytes. */
  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }
  float(v: number): void {
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }
  double(v: number): void {
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }
  uint32BE(v: number): void {
    this.view.setUint32(this.pos, v, false);
    this.pos += 4;
  }
  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  /** A length-prefixed string whose UTF-8 size is `size`. */
  string(s: string, size: number): void {
    this.varint(size);
    if (size === s.length) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
      this.pos = p;
    } else {
      encoder.encodeInto(s, this.buf.subarray(this.pos, this.pos + size));
      this.pos += size;
    }
  }
}

/** @internal A reader of protobuf wire data. */
export class Reader {
  readonly buf: Uint8Array;
  #view: DataView | undefined;
  pos: number;
  end: number;
  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }
  /** A DataView of the input, made on first use (floats are rare in documents). */
  get view(): DataView {
    this.#view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    return this.#view;
  }
  fail(what: string): never {
    throw new FormatError(`malformed protobuf: ${what} at byte ${this.pos}`);
  }
  /** A varint as a number (values above 2^53 lose precision; fields here are uint32). */
  varint(): number {
    const buf = this.buf;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    return this.fail('varint longer than 10 bytes');
  }
  uint32(): number {
    return this.varint() % 0x100000000;
  }
  float(): number {
    if (this.pos + 4 > this.end) this.fail('truncated float');
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }
  double(): number {
    if (this.pos + 8 > this.end) this.fail('truncated double');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** Length of a length-delimited field; leaves `pos` at its first byte. */
  length(): number {
    const n = this.varint();
    if (this.pos + n > this.end) this.fail(`length ${n} past the end`);
    return n;
  }
  /** A length-delimited field as a view of the input (no copy). */
  bytes(): Uint8Array {
    const n = this.length();
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  string(): string {
    const n = this.length();
    const buf = this.buf;
    const start = this.pos;
    this.pos += n;
    if (n < 48) {
      let s = '';
      for (let i = start; i < start + n; i++) {
        const c = buf[i]!;
        if (c >= 0x80) return decoder.decode(buf.subarray(start, start + n));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return decoder.decode(buf.subarray(start, start + n));
  }
  /** Skips a field of the given wire type. */
  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        break;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.pos += this.length();
        break;
      case 5:
        this.pos += 4;
        break;
      default:
        this.fail(`unsupported wire type ${wireType}`);
    }
    if (this.pos > this.end) this.fail('truncated field');
  }
  /** Runs `fn` over a nested message and returns to after it. */
  sub<T>(fn: (r: Reader) => T): T {
    const n = this.length();
    const saved = this.end;
    this.end = this.pos + n;
    const v = fn(this);
    if (this.pos !== this.end) this.fail('nested message overran');
    this.end = saved;
    return v;
  }
}
