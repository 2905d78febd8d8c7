// gRPC over HTTP/2 wire details shared by the lean server and client: length-prefixed message
// framing, grpc-timeout, grpc-message percent-encoding, status codes and HTTP/2 error mapping.
// See https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md.
import * as http2 from 'node:http2';
import { Code, ConnectError } from '@connectrpc/connect';

/** Content type the lean layer answers with. */
export const GRPC_CONTENT_TYPE = 'application/grpc+proto';

/** True for the content types of gRPC with the protobuf codec (`application/grpc`, `application/grpc+proto`). */
export function isGrpcProtoContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  if (value === 'application/grpc' || value === 'application/grpc+proto') return true;
  const v = value.toLowerCase().split(';')[0]!.trim();
  return v === 'application/grpc' || v === 'application/grpc+proto';
}

/** Wraps one message in a gRPC frame: flag byte 0 (uncompressed), big-endian uint32 length, bytes. */
export function encodeFrame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.byteLength);
  out[0] = 0;
  out.writeUInt32BE(message.byteLength, 1);
  out.set(message, 5);
  return out;
}

/** Parts of a message under this size are joined (after the frame prefix) into one buffer; larger ones are written as they are. */
const COPY_BELOW = 16 * 1024;

/**
 * An encoded message: one byte array, or several whose concatenation is the message (e.g. a
 * rewritten head and the untouched documents of a request), sent without joining them.
 */
export type LeanMessage = Uint8Array | readonly Uint8Array[];

/** The size in bytes of a message given whole or in parts. */
export function messageSize(message: LeanMessage): number {
  if (message instanceof Uint8Array) return message.byteLength;
  let n = 0;
  for (const part of message) n += part.byteLength;
  return n;
}

/** True for a `LeanMessage`: a `Uint8Array` or an array of them. */
export function isLeanMessage(value: unknown): value is LeanMessage {
  return value instanceof Uint8Array || (Array.isArray(value) && value.every((p) => p instanceof Uint8Array));
}

/**
 * Writes one message as a gRPC frame on an HTTP/2 stream, and ends the stream after it when `end`
 * is set. The frame prefix and every run of parts under 16 KiB (a whole small message, a
 * request's head and field prefix) are joined into one buffer; larger parts are written as they
 * are, never copied. Returns what the last `write` returned (false: wait for 'drain').
 */
export function writeFrame(stream: http2.Http2Stream, message: LeanMessage, end: boolean): boolean {
  const size = messageSize(message);
  // Fewer, larger writes mean fewer DATA frames.
  const chunks: Uint8Array[] = [];
  let small: Uint8Array[] = [framePrefix(size)];
  let smallSize = 5;
  const flush = () => {
    if (small.length === 1) chunks.push(small[0]!);
    else if (small.length > 1) chunks.push(Buffer.concat(small, smallSize));
    small = [];
    smallSize = 0;
  };
  for (const part of message instanceof Uint8Array ? [message] : message) {
    if (part.byteLength === 0) continue;
    if (part.byteLength >= COPY_BELOW) {
      flush();
      chunks.push(part);
    } else {
      small.push(part);
      smallSize += part.byteLength;
    }
  }
  flush();
  stream.cork();
  let ok = true;
  for (let i = 0; i < chunks.length - 1; i++) ok = stream.write(chunks[i]!);
  const last = chunks[chunks.length - 1]!;
  if (end) stream.end(last);
  else ok = stream.write(last);
  stream.uncork();
  return end ? true : ok;
}

function framePrefix(size: number): Buffer {
  const prefix = Buffer.allocUnsafe(5);
  prefix[0] = 0;
  prefix.writeUInt32BE(size, 1);
  return prefix;
}

/**
 * Splits a byte stream into gRPC messages: frames may span DATA chunks and a chunk may hold
 * several frames. A message that arrives whole inside one chunk is a view of that chunk (no copy).
 * Messages are plain `Uint8Array`s, never Node `Buffer`s, whose `slice()` would not copy.
 */
export class FrameReader {
  readonly #maxBytes: number;
  readonly #encoding: string | undefined;
  #head = Buffer.allocUnsafe(5);
  #headFill = 0;
  #body: Buffer | undefined;
  #bodyFill = 0;

  /**
   * @param maxBytes largest message accepted
   * @param encoding the peer's `grpc-encoding`, named in the error for a compressed message
   */
  constructor(maxBytes: number, encoding?: string) {
    this.#maxBytes = maxBytes;
    this.#encoding = encoding;
  }

  /** True when no partial frame is buffered. */
  get idle(): boolean {
    return this.#headFill === 0 && this.#body === undefined;
  }

  /**
   * Feeds one chunk; calls `onMessage` for every message it completes.
   * @throws ConnectError RESOURCE_EXHAUSTED for a message over the limit, UNIMPLEMENTED for a compressed one
   */
  push(chunk: Buffer, onMessage: (message: Uint8Array) => void): void {
    let pos = 0;
    const len = chunk.length;
    while (pos < len) {
      if (this.#body === undefined) {
        // Fast path: a whole frame inside this chunk.
        if (this.#headFill === 0 && len - pos >= 5) {
          const size = this.#check(chunk[pos]!, chunk.readUInt32BE(pos + 1));
          if (len - pos - 5 >= size) {
            onMessage(new Uint8Array(chunk.buffer, chunk.byteOffset + pos + 5, size));
            pos += 5 + size;
            continue;
          }
          this.#body = Buffer.allocUnsafe(size);
          this.#bodyFill = 0;
          pos += 5;
          continue;
        }
        const n = Math.min(5 - this.#headFill, len - pos);
        chunk.copy(this.#head, this.#headFill, pos, pos + n);
        this.#headFill += n;
        pos += n;
        if (this.#headFill < 5) return;
        this.#headFill = 0;
        const size = this.#check(this.#head[0]!, this.#head.readUInt32BE(1));
        if (size === 0) {
          onMessage(new Uint8Array(0));
          continue;
        }
        this.#body = Buffer.allocUnsafe(size);
        this.#bodyFill = 0;
        continue;
      }
      const body = this.#body;
      const n = Math.min(body.length - this.#bodyFill, len - pos);
      chunk.copy(body, this.#bodyFill, pos, pos + n);
      this.#bodyFill += n;
      pos += n;
      if (this.#bodyFill === body.length) {
        this.#body = undefined;
        onMessage(new Uint8Array(body.buffer, body.byteOffset, body.length));
      }
    }
  }

  #check(flag: number, size: number): number {
    if (flag !== 0) {
      const enc =
        this.#encoding && this.#encoding !== 'identity' ? `'${this.#encoding}'` : 'an unnamed encoding';
      throw new ConnectError(
        `received a message compressed with ${enc}; this endpoint reads only uncompressed messages: turn compression off (grpc-encoding: identity)`,
        Code.Unimplemented,
      );
    }
    if (size > this.#maxBytes) {
      throw new ConnectError(
        `message of ${size} bytes is larger than the limit of ${this.#maxBytes} bytes; send smaller requests or raise maxMessageBytes`,
        Code.ResourceExhausted,
      );
    }
    return size;
  }
}

const TIMEOUT_UNITS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/**
 * Parses a `grpc-timeout` header value (1–8 digits and a unit H M S m u n) into milliseconds.
 * @returns undefined when absent
 * @throws ConnectError INVALID_ARGUMENT for a malformed value
 */
export function parseGrpcTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!m) {
    throw new ConnectError(
      `invalid grpc-timeout header '${value}': expected 1-8 digits and a unit (H, M, S, m, u, n)`,
      Code.InvalidArgument,
    );
  }
  return Number(m[1]) * TIMEOUT_UNITS[m[2]!]!;
}

/** Formats a timeout in milliseconds as a `grpc-timeout` value (rounded up, at most 8 digits). */
export function formatGrpcTimeout(ms: number): string {
  const v = Math.max(0, Math.ceil(ms));
  if (v < 1e8) return `${v}m`;
  if (v / 1000 < 1e8) return `${Math.ceil(v / 1000)}S`;
  return `${Math.min(99_999_999, Math.ceil(v / 60_000))}M`;
}

/** Percent-encodes a `grpc-message` value (bytes outside printable ASCII, and '%'). */
export function encodeGrpcMessage(text: string): string {
  let plain = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return text;
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out +=
      byte < 0x20 || byte > 0x7e || byte === 0x25
        ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
        : String.fromCharCode(byte);
  }
  return out;
}

/** Decodes a percent-encoded `grpc-message` value; malformed escapes are kept as they are. */
export function decodeGrpcMessage(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Maps a non-200 HTTP status of a gRPC response to a code, as the gRPC spec says. */
export function codeFromHttpStatus(status: number): Code {
  switch (status) {
    case 400:
      return Code.Internal;
    case 401:
      return Code.Unauthenticated;
    case 403:
      return Code.PermissionDenied;
    case 404:
      return Code.Unimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return Code.Unavailable;
    default:
      return Code.Unknown;
  }
}

/** Maps an HTTP/2 RST_STREAM / GOAWAY error code to a gRPC code, as the gRPC spec says. */
export function codeFromHttp2Error(rstCode: number): Code {
  const c = http2.constants;
  switch (rstCode) {
    case c.NGHTTP2_REFUSED_STREAM:
      return Code.Unavailable;
    case c.NGHTTP2_CANCEL:
      return Code.Canceled;
    case c.NGHTTP2_ENHANCE_YOUR_CALM:
      return Code.ResourceExhausted;
    case c.NGHTTP2_INADEQUATE_SECURITY:
      return Code.PermissionDenied;
    default:
      return Code.Internal;
  }
}

/** Headers that are part of the gRPC protocol rather than application metadata. */
const PROTOCOL_HEADERS = new Set([
  'content-type',
  'te',
  'grpc-timeout',
  'grpc-encoding',
  'grpc-accept-encoding',
  'grpc-status',
  'grpc-message',
  'grpc-status-details-bin',
  'content-length',
  'user-agent',
]);

/** Application metadata of an HTTP/2 header block as `Headers` (pseudo-headers and gRPC protocol headers left out). */
export function metadataOf(headers: http2.IncomingHttpHeaders, keepProtocol = false): Headers {
  const out = new Headers();
  for (const key in headers) {
    if (key.charCodeAt(0) === 0x3a /* ':' */) continue;
    if (!keepProtocol && PROTOCOL_HEADERS.has(key)) continue;
    const v = headers[key];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.append(key, x);
    else out.set(key, String(v));
  }
  return out;
}

/** Copies `Headers` into an outgoing HTTP/2 header object. */
export function assignHeaders(target: http2.OutgoingHttpHeaders, headers: Headers | undefined): void {
  if (headers === undefined) return;
  headers.forEach((value, key) => {
    target[key] = value;
  });
}
