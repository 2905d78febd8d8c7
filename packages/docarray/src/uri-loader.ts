import { base64ToBytes, bytesToBase64 } from './base64.js';
import { DocArrayError } from './errors.js';

/** Options of the uri loaders. */
export interface LoadUriOptions {
  /** Charset used to decode text. @default 'utf-8' */
  charset?: string;
  /** Aborts an http(s) fetch. */
  signal?: AbortSignal;
}

const MIME_BY_EXT: Record<string, string> = {
  txt: 'text/plain',
  md: 'text/markdown',
  html: 'text/html',
  htm: 'text/html',
  json: 'application/json',
  csv: 'text/csv',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  mp4: 'video/mp4',
  pdf: 'application/pdf',
};

/** The MIME type a file name's extension suggests, or `''`. */
export function mimeTypeOf(path: string): string {
  const m = /\.([a-z0-9]+)$/i.exec(path);
  return (m && MIME_BY_EXT[m[1]!.toLowerCase()]) || '';
}

/** A `data:` URI of some bytes. */
export function toDataUri(bytes: Uint8Array, mimeType: string, charset?: string): string {
  return `data:${mimeType}${charset ? `;charset=${charset}` : ''};base64,${bytesToBase64(bytes)}`;
}

function parseDataUri(uri: string): { bytes: Uint8Array; mimeType: string } {
  const comma = uri.indexOf(',');
  if (comma < 0)
    throw new DocArrayError('invalid_argument', `malformed data URI '${uri.slice(0, 40)}': no ','`);
  const meta = uri.slice(5, comma).split(';');
  const payload = uri.slice(comma + 1);
  const isBase64 = meta.includes('base64');
  const bytes = isBase64 ? base64ToBytes(payload) : new TextEncoder().encode(decodeURIComponent(payload));
  return { bytes, mimeType: meta[0] || 'text/plain' };
}

/**
 * Reads the bytes a uri points to: a `data:` URI, an `http(s):` URL (with `fetch`), or a file path
 * or `file:` URL (Node only, through `process.getBuiltinModule('node:fs/promises')`).
 */
export async function loadUri(
  uri: string,
  options: LoadUriOptions = {},
): Promise<{ bytes: Uint8Array; mimeType: string }> {
  if (!uri) throw new DocArrayError('invalid_argument', 'cannot load content: the document has no uri');
  if (uri.startsWith('data:')) return parseDataUri(uri);
  if (/^https?:\/\//i.test(uri)) {
    const res = await fetch(uri, { signal: options.signal });
    if (!res.ok)
      throw new DocArrayError('invalid_argument', `GET ${uri} answered ${res.status} ${res.statusText}`);
    return {
      bytes: new Uint8Array(await res.arrayBuffer()),
      mimeType: res.headers.get('content-type')?.split(';')[0] ?? mimeTypeOf(uri),
    };
  }
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.('node:fs/promises') as
    | { readFile(p: string | URL): Promise<Uint8Array> }
    | undefined;
  if (!fs)
    throw new DocArrayError(
      'unsupported',
      `cannot read '${uri}': file paths need Node.js (use a data: or http(s): uri)`,
    );
  const target = uri.startsWith('file:') ? new URL(uri) : uri;
  try {
    const b = await fs.readFile(target);
    return { bytes: new Uint8Array(b.buffer, b.byteOffset, b.byteLength), mimeType: mimeTypeOf(uri) };
  } catch (err) {
    throw new DocArrayError('invalid_argument', `cannot read '${uri}': ${(err as Error).message}`, {
      cause: err,
    });
  }
}
