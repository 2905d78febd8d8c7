// Standard decorator metadata needs Symbol.metadata, which Node 20 lacks. TypeScript and esbuild
// both fall back to Symbol.for('Symbol.metadata') when it is missing; define it so that every
// compiler's output agrees. This module is imported before any user class is defined.
(Symbol as { metadata?: symbol }).metadata ??= Symbol.for('Symbol.metadata');

/** Reads the decorator metadata object of a class, if any. */
export function metadataOf(cls: object): Record<PropertyKey, unknown> | undefined {
  return (
    (cls as Record<symbol, Record<PropertyKey, unknown> | undefined>)[Symbol.metadata as symbol] ?? undefined
  );
}
