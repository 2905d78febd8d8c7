import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { type Reader, utf8Size, varintSize, type Writer } from './wire.js';

// google.protobuf.Struct / Value / ListValue, written as the reference encoder does.

function entries(o: JsonObject): [string, JsonValue][] {
  const out: [string, JsonValue][] = [];
  for (const k in o) {
    const v = o[k];
    if (v !== undefined) out.push([k, v]);
  }
  return out;
}

function lenField(inner: number): number {
  return 1 + varintSize(inner) + inner;
}

/** @internal Encoded size of a Value message body. */
export function valueSize(v: JsonValue): number {
  if (v === null) return 2;
  switch (typeof v) {
    case 'number':
      return 9;
    case 'string':
      return lenField(utf8Size(v));
    case 'boolean':
      return 2;
    default:
      return lenField(Array.isArray(v) ? listSize(v) : structSize(v as JsonObject));
  }
}

function listSize(list: readonly JsonValue[]): number {
  let n = 0;
  for (const v of list) n += lenField(valueSize(v === undefined ? null : v));
  return n;
}

/** @internal Encoded size of a Struct message body. */
export function structSize(o: JsonObject): number {
  let n = 0;
  for (const [k, v] of entries(o)) {
    const entry = lenField(utf8Size(k)) + lenField(valueSize(v));
    n += lenField(entry);
  }
  return n;
}

function writeValue(w: Writer, v: JsonValue): void {
  if (v === null) {
    w.byte(0x08);
    w.byte(0);
    return;
  }
  switch (typeof v) {
    case 'number':
      w.byte(0x11);
      w.double(v);
      return;
    case 'string':
      w.byte(0x1a);
      w.string(v, utf8Size(v));
      return;
    case 'boolean':
      w.byte(0x20);
      w.byte(v ? 1 : 0);
      return;
  }
  if (Array.isArray(v)) {
    w.byte(0x32);
    w.varint(listSize(v));
    for (const x of v) {
      const item = x === undefined ? null : x;
      w.byte(0x0a);
      w.varint(valueSize(item));
      writeValue(w, item);
    }
    return;
  }
  w.byte(0x2a);
  w.varint(structSize(v as JsonObject));
  writeStruct(w, v as JsonObject);
}

/** @internal Writes a Struct message body. */
export function writeStruct(w: Writer, o: JsonObject): void {
  for (const [k, v] of entries(o)) {
    const ks = utf8Size(k);
    const vs = valueSize(v);
    w.byte(0x0a);
    w.varint(lenField(ks) + lenField(vs));
    w.byte(0x0a);
    w.string(k, ks);
    w.byte(0x12);
    w.varint(vs);
    writeValue(w, v);
  }
}

function readValue(r: Reader): JsonValue {
  let out: JsonValue = null;
  while (r.pos < r.end) {
    const tag = r.varint();
    switch (tag) {
      case 0x08:
        r.varint();
        out = null;
        break;
      case 0x11:
        out = r.double();
        break;
      case 0x1a:
        out = r.string();
        break;
      case 0x20:
        out = r.varint() !== 0;
        break;
      case 0x2a:
        out = r.sub(readStruct);
        break;
      case 0x32:
        out = r.sub(readList);
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return out;
}

function readList(r: Reader): JsonValue[] {
  const out: JsonValue[] = [];
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === 0x0a) out.push(r.sub(readValue));
    else r.skip(tag & 7);
  }
  return out;
}

/** @internal Reads a Struct message body into a plain JSON object. */
export function readStruct(r: Reader): JsonObject {
  const out: JsonObject = {};
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag !== 0x0a) {
      r.skip(tag & 7);
      continue;
    }
    r.sub((e) => {
      let key = '';
      let value: JsonValue = null;
      while (e.pos < e.end) {
        const t = e.varint();
        if (t === 0x0a) key = e.string();
        else if (t === 0x12) value = e.sub(readValue);
        else e.skip(t & 7);
      }
      out[key] = value;
    });
  }
  return out;
}
