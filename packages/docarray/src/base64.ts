import { FormatError } from './errors.js';

type BufferLike = {
  from(
    data: ArrayBufferLike | string,
    offsetOrEncoding?: number | string,
    length?: number,
  ): Uint8Array & {
    toString(encoding: string): string;
  };
};
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;

/** Standard base64 (with padding) of some bytes. Works in browsers and Node. */
export function bytesToBase64(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/**
 * Decodes standard or URL-safe base64.
 * @throws {@link FormatError} for text that is not base64.
 */
export function base64ToBytes(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.replace(/=+$/, '').length % 4 === 1) {
    throw new FormatError(`not base64: '${text.length > 40 ? `${text.slice(0, 40)}…` : text}'`);
  }
  if (NodeBuffer) {
    const b = NodeBuffer.from(clean, 'base64');
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  const s = atob(clean.padEnd(Math.ceil(clean.length / 4) * 4, '='));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/**
 * A fresh copy of some bytes in their own ArrayBuffer at offset 0. (`Buffer#slice()` returns a view,
 * not a copy, so `.slice()` must not be used on bytes that may be a Node Buffer.)
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  out.set(bytes);
  return out;
}
