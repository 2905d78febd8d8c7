const HEX = '0123456789abcdef';
const codes = new Array<number>(32);

/**
 * A new random id: 32 lowercase hex characters, as DocArray and Jina make them. Uses
 * `globalThis.crypto`, so it works in browsers too. The string is built flat in one step (no
 * concatenation ropes), so large arrays of ids stay small in memory.
 */
export function newId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  for (let i = 0; i < 16; i++) {
    const b = bytes[i]!;
    codes[2 * i] = HEX.charCodeAt(b >> 4);
    codes[2 * i + 1] = HEX.charCodeAt(b & 15);
  }
  return String.fromCharCode.apply(null, codes);
}
