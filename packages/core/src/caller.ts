/** A file's identity whether a frame shows its built `dist/x.js` or its source-mapped `src/x.ts`. */
function stem(fileUrl: string): string {
  return fileUrl.replace(/\.[cm]?[jt]sx?$/, '').replace(/\/(?:dist|src)\//, '/');
}

const SELF = stem(import.meta.url);

/**
 * The file URL of the first stack frame that is not in `@weft/core`'s caller helper, not in one of
 * `excludeFiles` (file URLs, e.g. the caller's `import.meta.url`) and not under `node_modules`:
 * the user module that called into Weft. Undefined when the stack has no such frame.
 */
export function callerModule(...excludeFiles: string[]): string | undefined {
  const stack = new Error().stack ?? '';
  const skip = new Set([SELF, ...excludeFiles.map(stem)]);
  for (const line of stack.split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^():]+?\.(?:[cm]?[jt]sx?)):\d+:\d+\)?\s*$/.exec(line);
    if (!m) continue;
    const file = m[1]!.startsWith('file://') ? m[1]! : `file://${m[1]}`;
    if (skip.has(stem(file)) || file.includes('/node_modules/')) continue;
    return file;
  }
  return undefined;
}
