import { DocArrayError, FormatError } from './errors.js';

/**
 * Compression of serialized forms. `deflate` is zlib-wrapped deflate (RFC 1950), the same bytes as
 * Python's `compress='zlib'`; `gzip` matches Python's `compress='gzip'`. `zlib` is accepted as an
 * alias of `deflate`.
 */
export type Compression = 'gzip' | 'deflate' | 'brotli' | 'zlib';

/** Every {@link Compression} spelling. */
export const COMPRESSIONS: readonly Compression[] = ['gzip', 'deflate', 'brotli', 'zlib'];

interface ZlibSync {
  gzipSync(b: Uint8Array): Uint8Array;
  gunzipSync(b: Uint8Array): Uint8Array;
  deflateSync(b: Uint8Array): Uint8Array;
  inflateSync(b: Uint8Array): Uint8Array;
  brotliCompressSync(b: Uint8Array): Uint8Array;
  brotliDecompressSync(b: Uint8Array): Uint8Array;
}

let zlib: ZlibSync | undefined;

/** @internal node:zlib, reached without an import so that browser bundles stay clean. */
export function nodeZlib(): ZlibSync {
  if (zlib) return zlib;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = proc?.getBuiltinModule?.('node:zlib') as ZlibSync | undefined;
  if (!mod) {
    throw new DocArrayError(
      'unsupported',
      'compression needs node:zlib (Node.js ≥ 20.16); in a browser, serialize without `compress` and use CompressionStream',
    );
  }
  zlib = mod;
  return mod;
}

/** @internal Validates a compression name. */
export function checkCompression(c: string): Compression {
  if (!(COMPRESSIONS as readonly string[]).includes(c)) {
    throw new DocArrayError(
      'invalid_argument',
      `unknown compression '${c}': expected one of ${COMPRESSIONS.map((x) => `'${x}'`).join(', ')}`,
    );
  }
  return c as Compression;
}

function view(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Compresses bytes (synchronously, with node:zlib). */
export function compress(bytes: Uint8Array, c: Compression): Uint8Array {
  const z = nodeZlib();
  switch (checkCompression(c)) {
    case 'gzip':
      return view(z.gzipSync(bytes));
    case 'brotli':
      return view(z.brotliCompressSync(bytes));
    default:
      return view(z.deflateSync(bytes));
  }
}

/** The compression that `bytes` visibly start with (gzip magic or a zlib header), if any. */
export function sniffCompression(bytes: Uint8Array): Compression | undefined {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) return 'gzip';
  // zlib header: CM = 8, and (CMF*256 + FLG) % 31 === 0. 0x78 is never a valid first byte of a
  // DocumentProto or DocumentArrayProto (field 15, varint wire type).
  if (
    bytes.length >= 2 &&
    (bytes[0]! & 0x0f) === 8 &&
    ((bytes[0]! << 8) | bytes[1]!) % 31 === 0 &&
    bytes[0] === 0x78
  ) {
    return 'deflate';
  }
  return undefined;
}

/**
 * Decompresses bytes. With `c` undefined, gzip and zlib data are detected by their headers and
 * anything else is returned as it is (brotli has no header: name it).
 */
export function decompress(bytes: Uint8Array, c?: Compression): Uint8Array {
  const kind = c === undefined ? sniffCompression(bytes) : checkCompression(c);
  if (kind === undefined) return bytes;
  const z = nodeZlib();
  try {
    switch (kind) {
      case 'gzip':
        return view(z.gunzipSync(bytes));
      case 'brotli':
        return view(z.brotliDecompressSync(bytes));
      default:
        return view(z.inflateSync(bytes));
    }
  } catch (err) {
    throw new FormatError(`cannot decompress ${bytes.length} bytes as ${kind}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
