import { type DecodeOptions, readDocument } from './document-decoder.js';
import { documentSize, writeDocument } from './document-encoder.js';
import { type Compression, checkCompression, compress, decompress, sniffCompression } from './compression.js';
import type { Document } from './document.js';
import { FormatError } from './errors.js';
import { Reader, varintSize, Writer } from './wire.js';

/**
 * Serialized forms of a DocumentArray:
 * - `'protobuf-array'`: one `DocumentArrayProto` (what `docs_bytes` and `.protobuf` files hold);
 *   `compress` compresses the whole.
 * - `'protobuf'`: the streaming form: version byte `0x01`, big-endian uint64 count, then per
 *   document a big-endian uint32 length and its `DocumentProto` bytes; `compress` compresses each
 *   document, as DocArray does.
 */
export type BytesProtocol = 'protobuf-array' | 'protobuf';

/** Options of `toBytes`. */
export interface ToBytesOptions {
  /** The form. @default 'protobuf-array' */
  protocol?: BytesProtocol;
  /** Compression. @default none */
  compress?: Compression;
}

/** Options of `fromBytes`. */
export interface FromBytesOptions extends DecodeOptions {
  /** The form; detected from the first byte when left out. */
  protocol?: BytesProtocol;
  /** Compression; gzip and deflate are detected when left out, brotli must be named. */
  compress?: Compression;
  /**
   * Decode on first use instead of now (`DocumentArray.fromBytes` only). Until then the array
   * keeps `bytes`, and `toBytes()` with default options returns them as given (when they are the
   * plain `DocumentArrayProto` form): documents that pass through unread are never decoded or
   * re-encoded. Malformed bytes then throw on first use. @default false
   */
  lazy?: boolean;
}

/** The version byte of the streaming form. */
export const STREAM_VERSION = 0x01;

function checkProtocol(p: string): BytesProtocol {
  if (p !== 'protobuf-array' && p !== 'protobuf') {
    throw new FormatError(
      `unknown protocol '${p}': expected 'protobuf-array' or 'protobuf' (the streaming form)`,
    );
  }
  return p;
}

/** @internal Serializes documents in the array or streaming form. */
export function encodeDocuments(docs: readonly Document[], options: ToBytesOptions = {}): Uint8Array {
  const protocol = checkProtocol(options.protocol ?? 'protobuf-array');
  const c = options.compress === undefined ? undefined : checkCompression(options.compress);
  if (protocol === 'protobuf-array') {
    const sizes = docs.map((d) => documentSize(d));
    let total = 0;
    for (const s of sizes) total += 1 + varintSize(s) + s;
    const w = new Writer(total);
    docs.forEach((d, i) => {
      w.byte(0x0a);
      w.varint(sizes[i]!);
      writeDocument(w, d);
    });
    return c ? compress(w.buf, c) : w.buf;
  }
  if (docs.length > 0xffffffff) throw new FormatError('the streaming form holds at most 2^32 − 1 documents');
  if (c) {
    const parts = docs.map((d) => {
      const w = new Writer(documentSize(d));
      writeDocument(w, d);
      return compress(w.buf, c);
    });
    let total = 9;
    for (const p of parts) total += 4 + p.length;
    const w = new Writer(total);
    writeStreamHeader(w, docs.length);
    for (const p of parts) {
      w.uint32BE(p.length);
      w.buf.set(p, w.pos);
      w.pos += p.length;
    }
    return w.buf;
  }
  const sizes = docs.map((d) => documentSize(d));
  let total = 9;
  for (const s of sizes) total += 4 + s;
  const w = new Writer(total);
  writeStreamHeader(w, docs.length);
  docs.forEach((d, i) => {
    w.uint32BE(sizes[i]!);
    writeDocument(w, d);
  });
  return w.buf;
}

function writeStreamHeader(w: Writer, count: number): void {
  w.byte(STREAM_VERSION);
  w.view.setBigUint64(w.pos, BigInt(count), false);
  w.pos += 8;
}

/** @internal Whether `bytes` parse exactly as the streaming form. */
export function looksLikeStream(bytes: Uint8Array): boolean {
  if (bytes.length < 9 || bytes[0] !== STREAM_VERSION) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = Number(view.getBigUint64(1, false));
  let pos = 9;
  for (let i = 0; i < count; i++) {
    if (pos + 4 > bytes.length) return false;
    pos += 4 + view.getUint32(pos, false);
  }
  return pos === bytes.length;
}

function decodeDoc(bytes: Uint8Array, options: FromBytesOptions): Document {
  const raw = decompress(bytes, options.compress);
  const r = new Reader(raw);
  return readDocument(r, raw === bytes ? options : { ...options, copy: false });
}

/** @internal Reads documents from the array or streaming form. */
export function decodeDocuments(bytes: Uint8Array, options: FromBytesOptions = {}): Document[] {
  const protocol = options.protocol === undefined ? undefined : checkProtocol(options.protocol);
  const c = options.compress === undefined ? undefined : checkCompression(options.compress);
  try {
    if (protocol === 'protobuf' || (protocol === undefined && looksLikeStream(bytes))) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (bytes[0] !== STREAM_VERSION) {
        throw new FormatError(
          `streaming form: unknown version byte ${bytes[0]} (expected ${STREAM_VERSION})`,
        );
      }
      const count = Number(view.getBigUint64(1, false));
      const docs: Document[] = [];
      let pos = 9;
      for (let i = 0; i < count; i++) {
        if (pos + 4 > bytes.length)
          throw new FormatError(`streaming form: truncated before document ${i} of ${count}`);
        const len = view.getUint32(pos, false);
        pos += 4;
        if (pos + len > bytes.length)
          throw new FormatError(`streaming form: document ${i} runs past the end`);
        docs.push(decodeDoc(bytes.subarray(pos, pos + len), options));
        pos += len;
      }
      return docs;
    }
    const whole = c ?? (protocol === undefined ? sniffCompression(bytes) : undefined);
    if (whole) {
      const raw = decompress(bytes, whole);
      return decodeDocuments(raw, { ...options, compress: undefined, copy: false });
    }
    const r = new Reader(bytes);
    const docs: Document[] = [];
    while (r.pos < r.end) {
      const tag = r.varint();
      if (tag === 0x0a) docs.push(r.sub((s) => readDocument(s, options)));
      else r.skip(tag & 7);
    }
    return docs;
  } catch (err) {
    if (err instanceof RangeError)
      throw new FormatError(`malformed DocumentArray bytes: ${err.message}`, { cause: err });
    throw err;
  }
}
