import { readDocument } from './document-decoder.js';
import { type Compression, decompress } from './compression.js';
import type { Document } from './document.js';
import { FormatError } from './errors.js';
import { Reader } from './wire.js';

/** A source of bytes: an async or sync iterable of chunks, a web ReadableStream, or one buffer. */
export type ByteSource =
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>
  | ReadableStream<Uint8Array>
  | Uint8Array;

/** Options of {@link readDocuments}. */
export interface ReadDocumentsOptions {
  /** Per-document compression of the streaming form (gzip/deflate are detected). @default none */
  compress?: Compression;
  /** Stops reading when aborted. */
  signal?: AbortSignal;
}

async function* chunks(source: ByteSource): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  if (typeof (source as ReadableStream).getReader === 'function') {
    const reader = (source as ReadableStream<Uint8Array>).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }
  yield* source as AsyncIterable<Uint8Array>;
}

/** Growable byte queue: append chunks, take exact-size slices from the front. */
class ByteQueue {
  #buf = new Uint8Array(0);
  #start = 0;
  #end = 0;
  get size(): number {
    return this.#end - this.#start;
  }
  push(chunk: Uint8Array): void {
    if (this.#end + chunk.length > this.#buf.length) {
      const live = this.size;
      const cap = Math.max(live + chunk.length, this.#buf.length * 2, 64 * 1024);
      const next = live + chunk.length <= this.#buf.length ? this.#buf : new Uint8Array(cap);
      next.set(this.#buf.subarray(this.#start, this.#end), 0);
      this.#buf = next;
      this.#start = 0;
      this.#end = live;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += chunk.length;
  }
  peek(n: number): Uint8Array {
    return this.#buf.subarray(this.#start, this.#start + n);
  }
  /** Takes `n` bytes as a fresh copy (documents may keep views of it). */
  take(n: number): Uint8Array {
    const out = this.#buf.slice(this.#start, this.#start + n);
    this.#start += n;
    return out;
  }
}

function readVarint(b: Uint8Array): { value: number; length: number } | undefined {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < Math.min(b.length, 10); i++) {
    value += (b[i]! & 0x7f) * mul;
    if (b[i]! < 0x80) return { value, length: i + 1 };
    mul *= 128;
  }
  if (b.length >= 10) throw new FormatError('malformed DocumentArrayProto: varint longer than 10 bytes');
  return undefined;
}

/**
 * Yields documents from serialized bytes as they arrive, holding one document at a time: the
 * streaming form (version byte, count, length-prefixed documents, each optionally compressed) or
 * the array form (a `DocumentArrayProto`, read field by field). Whole-buffer compression is not
 * handled here: decompress the stream first (see `@weft/docarray/node`).
 *
 * @throws {@link FormatError} when the bytes end inside a document or are not either form.
 */
export async function* readDocuments(
  source: ByteSource,
  options: ReadDocumentsOptions = {},
): AsyncGenerator<Document> {
  const q = new ByteQueue();
  let form: 'stream' | 'array' | undefined;
  let remaining = 0;
  const decode = (bytes: Uint8Array): Document => {
    const raw = form === 'stream' ? decompress(bytes, options.compress) : bytes;
    return readDocument(new Reader(raw), {});
  };
  const drain = function* (): Generator<Document> {
    for (;;) {
      if (form === undefined) {
        if (q.size === 0) return;
        const first = q.peek(1)[0];
        if (first === 0x01) form = 'stream';
        else if (first === 0x0a) form = 'array';
        else
          throw new FormatError(
            `not a serialized DocumentArray: first byte 0x${first!.toString(16)} (expected 0x01 or 0x0a)`,
          );
        if (form === 'stream') {
          if (q.size < 9) {
            form = undefined;
            return;
          }
          const head = q.take(9);
          remaining = Number(new DataView(head.buffer).getBigUint64(1, false));
        }
      }
      if (form === 'stream') {
        if (remaining === 0 || q.size < 4) return;
        const h = q.peek(4);
        const len = ((h[0]! << 24) >>> 0) + (h[1]! << 16) + (h[2]! << 8) + h[3]!;
        if (q.size < 4 + len) return;
        q.take(4);
        remaining--;
        yield decode(q.take(len));
      } else {
        if (q.size === 0) return;
        const head = q.peek(Math.min(q.size, 11));
        const tag = readVarint(head);
        if (!tag) return;
        const len = readVarint(head.subarray(tag.length));
        if (!len) return;
        const total = tag.length + len.length + len.value;
        if (q.size < total) return;
        q.take(tag.length + len.length);
        const body = q.take(len.value);
        if (tag.value === 0x0a) yield decode(body);
      }
    }
  };
  for await (const chunk of chunks(source)) {
    if (options.signal?.aborted) throw options.signal.reason;
    q.push(chunk);
    yield* drain();
  }
  yield* drain();
  if (q.size > 0 || (form === 'stream' && remaining > 0)) {
    throw new FormatError(
      form === 'stream'
        ? `streaming form ended with ${remaining} of its documents missing`
        : `serialized DocumentArray ended inside a document (${q.size} bytes left)`,
    );
  }
}
