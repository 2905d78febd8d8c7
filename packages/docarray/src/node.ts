/**
 * Node-only helpers of `@weft/docarray`: save and load DocumentArrays to files by extension, and
 * stream documents out of files or Node streams without holding them all.
 *
 * Extensions: `.json` (a JSON list), `.jsonl`/`.ndjson` (one JSON document per line),
 * `.protobuf`/`.pb`/`.bin` (serialized bytes), each optionally followed by `.gz`/`.gzip`,
 * `.zz`/`.zlib`/`.deflate` or `.br` for whole-file compression (`docs.protobuf.gz`).
 * @packageDocumentation
 */
import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { BytesProtocol } from './bytes-form.js';
import { type Compression, compress, decompress } from './compression.js';
import { Document } from './document.js';
import { DocumentArray } from './document-array.js';
import { DocArrayError } from './errors.js';
import type { ToJsonOptions } from './json-form.js';
import { readDocuments } from './stream-reader.js';

/** The format a file name implies. */
export interface FileFormat {
  /** `json`, `jsonl` or `bytes`. */
  kind: 'json' | 'jsonl' | 'bytes';
  /** Whole-file compression, from a trailing `.gz`, `.zz` or `.br`. */
  compress?: Compression;
}

const COMPRESSION_EXT: Record<string, Compression> = {
  gz: 'gzip',
  gzip: 'gzip',
  zz: 'deflate',
  zlib: 'deflate',
  deflate: 'deflate',
  br: 'brotli',
};
const KIND_EXT: Record<string, FileFormat['kind']> = {
  json: 'json',
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  protobuf: 'bytes',
  pb: 'bytes',
  bin: 'bytes',
  docarray: 'bytes',
};

/**
 * The format of a file name (`x.protobuf.gz` → bytes, gzip).
 * @throws {@link DocArrayError} for an extension that is not one of the above.
 */
export function fileFormat(path: string): FileFormat {
  const parts = path.toLowerCase().split(/[\\/]/).pop()!.split('.').slice(1);
  let c: Compression | undefined;
  if (parts.length && COMPRESSION_EXT[parts.at(-1)!]) c = COMPRESSION_EXT[parts.pop()!];
  const kind = parts.length ? KIND_EXT[parts.at(-1)!] : undefined;
  if (!kind) {
    throw new DocArrayError(
      'invalid_argument',
      `cannot tell the format of '${path}': expected .json, .jsonl, .protobuf (or .pb/.bin), optionally followed by .gz, .zz or .br`,
    );
  }
  return c ? { kind, compress: c } : { kind };
}

/** Options of {@link saveDocuments}. */
export interface SaveOptions extends ToJsonOptions {
  /** Byte form for `.protobuf` files. @default 'protobuf-array' */
  protocol?: BytesProtocol;
}

function serialize(docs: DocumentArray, format: FileFormat, options: SaveOptions): Uint8Array {
  if (format.kind === 'json') return new TextEncoder().encode(JSON.stringify(docs.toJSON(options)));
  if (format.kind === 'jsonl') {
    return new TextEncoder().encode(docs.map((d) => `${JSON.stringify(d.toJSON(options))}\n`).join(''));
  }
  return docs.toBytes({ protocol: options.protocol ?? 'protobuf-array' });
}

/** Writes a DocumentArray to a file in the format its name implies. */
export async function saveDocuments(
  docs: DocumentArray,
  path: string,
  options: SaveOptions = {},
): Promise<void> {
  const format = fileFormat(path);
  const body = serialize(docs, format, options);
  await writeFile(path, format.compress ? compress(body, format.compress) : body);
}

/** Reads a whole file written by {@link saveDocuments} (or by DocArray) into a DocumentArray. */
export async function loadDocuments(path: string): Promise<DocumentArray> {
  const format = fileFormat(path);
  const raw = await readFile(path);
  const body = decompress(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength), format.compress);
  if (format.kind === 'json') return DocumentArray.fromJSON(new TextDecoder().decode(body));
  if (format.kind === 'jsonl') {
    const lines = new TextDecoder()
      .decode(body)
      .split('\n')
      .filter((l) => l.trim());
    return new DocumentArray(lines.map((l) => Document.fromJSON(l)));
  }
  return DocumentArray.fromBytes(body);
}

/** Options of {@link streamDocuments}. */
export interface StreamOptions {
  /** Whole-stream compression; for files it comes from the extension. @default none */
  compress?: Compression;
  /** `bytes` or `jsonl`; for files it comes from the extension. @default 'bytes' */
  kind?: 'bytes' | 'jsonl';
  /** Stops reading when aborted. */
  signal?: AbortSignal;
}

async function* jsonLines(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<Document> {
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of source) {
    rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let nl = rest.indexOf('\n');
    while (nl >= 0) {
      const line = rest.slice(0, nl).trim();
      rest = rest.slice(nl + 1);
      if (line) yield Document.fromJSON(line);
      nl = rest.indexOf('\n');
    }
  }
  if (rest.trim()) yield Document.fromJSON(rest.trim());
}

/**
 * Yields documents one at a time from a file (format from its name) or a Node readable stream /
 * async iterable of bytes, without reading everything into memory. `.json` files are read whole
 * (a JSON list cannot be streamed); use `.jsonl` or `.protobuf` for large data.
 */
export async function* streamDocuments(
  source: string | AsyncIterable<Uint8Array>,
  options: StreamOptions = {},
): AsyncGenerator<Document> {
  let input: AsyncIterable<Uint8Array>;
  let kind = options.kind ?? 'bytes';
  let c = options.compress;
  if (typeof source === 'string') {
    const format = fileFormat(source);
    if (format.kind === 'json') {
      yield* await loadDocuments(source);
      return;
    }
    kind = format.kind;
    c = format.compress ?? c;
    input = createReadStream(source, { signal: options.signal });
  } else input = source;
  if (c) {
    const z = c === 'gzip' ? createGunzip() : c === 'brotli' ? createBrotliDecompress() : createInflate();
    // pipeline() tears the source down when the consumer stops early or a stage fails; the
    // error then surfaces from iterating `z`.
    pipeline(input, z, () => {});
    input = z;
  }
  if (kind === 'jsonl') yield* jsonLines(input);
  else yield* readDocuments(input, { signal: options.signal });
}
