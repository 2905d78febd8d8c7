import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { Code, ConnectError } from '@connectrpc/connect';
import {
  type DataRequestProto,
  DataRequestProto_DataContentProtoSchema,
  DataRequestProtoSchema,
} from '@weft/proto';
import type { LeanMessage } from './lean-frame.js';

/** The two parts of an encoded `jina.DataRequestProto`, as found on the wire. */
export interface DataRequestParts {
  /**
   * Every top-level field except `data` (header, parameters, routes): bytes that decode as a
   * `DataRequestProtoWoData`.
   */
  readonly head: Uint8Array;
  /** The encoded `data` field (number 4) with its tag, untouched: the documents. Empty when absent. */
  readonly data: Uint8Array;
}

const DATA_FIELD = 4;

/**
 * Splits an encoded `DataRequestProto` into its head (fields 1–3) and its `data` field, without
 * decoding either. Writers put `data` last, so both parts are usually views of `bytes`; they
 * are copies only when fields come in another order.
 *
 * @throws ConnectError INVALID_ARGUMENT when `bytes` is not a well-formed protobuf message
 */
export function splitDataRequest(bytes: Uint8Array): DataRequestParts {
  const ranges: [start: number, end: number, isData: boolean][] = [];
  let pos = 0;
  const len = bytes.length;
  while (pos < len) {
    const start = pos;
    let tag = 0;
    [tag, pos] = varint(bytes, pos);
    const field = tag >>> 3;
    switch (tag & 7) {
      case 0:
        pos = varint(bytes, pos)[1];
        break;
      case 1:
        pos += 8;
        break;
      case 2: {
        let n = 0;
        [n, pos] = varint(bytes, pos);
        pos += n;
        break;
      }
      case 5:
        pos += 4;
        break;
      default:
        throw malformed(`unsupported wire type ${tag & 7} at byte ${start}`);
    }
    if (field === 0) throw malformed(`field number 0 at byte ${start}`);
    if (pos > len) throw malformed(`field ${field} at byte ${start} runs past the end (${len} bytes)`);
    const isData = field === DATA_FIELD;
    const last = ranges.at(-1);
    if (last !== undefined && last[2] === isData && last[1] === start) last[1] = pos;
    else ranges.push([start, pos, isData]);
  }
  if (ranges.length === 0) return { head: bytes.subarray(0, 0), data: bytes.subarray(0, 0) };
  if (ranges.length === 1) {
    const only = bytes.subarray(ranges[0]![0], ranges[0]![1]);
    return ranges[0]![2]
      ? { head: bytes.subarray(0, 0), data: only }
      : { head: only, data: bytes.subarray(0, 0) };
  }
  if (ranges.length === 2 && !ranges[0]![2] && ranges[1]![2]) {
    const cut = ranges[1]![0];
    return { head: bytes.subarray(0, cut), data: bytes.subarray(cut) };
  }
  return { head: gather(bytes, ranges, false), data: gather(bytes, ranges, true) };
}

/**
 * Joins an encoded head (e.g. `toBinary(DataRequestProtoWoDataSchema, head)`) and a `data` part
 * from {@link splitDataRequest} into one encoded `DataRequestProto`. This copies the documents:
 * to send, give the lean client or server `[head, data]` instead, which writes both parts
 * without joining them.
 */
export function joinDataRequest(head: Uint8Array, data: Uint8Array): Uint8Array {
  if (data.length === 0) return head;
  // Uninitialized memory (no zero-fill), returned as a plain Uint8Array: a Buffer's slice() does not copy.
  const mem = Buffer.allocUnsafe(head.length + data.length);
  const out = new Uint8Array(mem.buffer, mem.byteOffset, mem.length);
  out.set(head, 0);
  out.set(data, head.length);
  return out;
}

/**
 * The `DocumentArrayProto` bytes inside an encoded `data` field (tag 4, as split off by
 * {@link splitDataRequest}), from `docs` or `docs_bytes` (the same bytes either way), as a view.
 * @returns undefined when the request carries no documents
 * @throws Error when the field is not well-formed protobuf
 */
export function documentBytes(data: Uint8Array): Uint8Array | undefined {
  if (data.length === 0) return undefined;
  let found: Uint8Array | undefined;
  const outer = new BinaryReader(data);
  while (outer.pos < outer.len) {
    const [no, wt] = outer.tag();
    if (no !== DATA_FIELD || wt !== WireType.LengthDelimited) {
      outer.skip(wt, no);
      continue;
    }
    const inner = new BinaryReader(outer.bytes());
    while (inner.pos < inner.len) {
      const [f, w] = inner.tag();
      if ((f === 1 || f === 2) && w === WireType.LengthDelimited) found = inner.bytes();
      else inner.skip(w, f);
    }
  }
  return found;
}

/**
 * Decodes a `DataRequestProto` without decoding its documents: header, parameters and routes
 * are decoded, the documents are kept as their encoded `DocumentArrayProto` bytes (a view of
 * `bytes`) in `data.documents` as `docsBytes`, whichever of `docs` / `docs_bytes` they came in.
 * `requestDocs()` decodes them when something needs them; {@link encodeDataRequest} writes them
 * back untouched.
 * @throws ConnectError INVALID_ARGUMENT when the bytes are not a DataRequestProto
 */
export function decodeDataRequest(bytes: Uint8Array): DataRequestProto {
  let req: DataRequestProto;
  let docs: Uint8Array | undefined;
  let data: Uint8Array;
  try {
    let head: Uint8Array;
    ({ head, data } = splitDataRequest(bytes));
    req = fromBinary(DataRequestProtoSchema, head);
    docs = documentBytes(data);
  } catch (err) {
    if (err instanceof ConnectError) throw err;
    throw malformed((err as Error).message);
  }
  if (docs !== undefined)
    req.data = create(DataRequestProto_DataContentProtoSchema, {
      documents: { case: 'docsBytes', value: docs },
    });
  else if (data.length > 0) req.data = create(DataRequestProto_DataContentProtoSchema);
  return req;
}

/**
 * Encodes a `DataRequestProto` for the wire. Documents held as `docsBytes` (e.g. from
 * {@link decodeDataRequest}) are written as the `docs` field, which carries the same bytes,
 * without copying them: the result is then the message in parts (head, field prefix, documents),
 * which the lean client and server write as one message.
 */
export function encodeDataRequest(req: DataRequestProto): LeanMessage {
  const d = req.data?.documents;
  if (d?.case !== 'docsBytes' || req.data?.$unknown?.length) return toBinary(DataRequestProtoSchema, req);
  const head = toBinary(DataRequestProtoSchema, { ...req, data: undefined });
  const docs = d.value;
  // data (field 4) { docs (field 1): docs }
  const inner = 1 + varintSize(docs.length) + docs.length;
  const prefix = new Uint8Array(2 + varintSize(inner) + varintSize(docs.length));
  let at = 0;
  prefix[at++] = (DATA_FIELD << 3) | 2;
  at = writeVarint(prefix, at, inner);
  prefix[at++] = (1 << 3) | 2;
  writeVarint(prefix, at, docs.length);
  return [head, prefix, docs];
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 128) {
    out[at++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  return at;
}

function gather(bytes: Uint8Array, ranges: [number, number, boolean][], isData: boolean): Uint8Array {
  let size = 0;
  for (const [s, e, d] of ranges) if (d === isData) size += e - s;
  const out = new Uint8Array(size);
  let at = 0;
  for (const [s, e, d] of ranges) {
    if (d !== isData) continue;
    out.set(bytes.subarray(s, e), at);
    at += e - s;
  }
  return out;
}

/** Reads a varint (up to 2^53) at `pos`; returns its value and the position after it. */
function varint(bytes: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= bytes.length) throw malformed(`varint runs past the end at byte ${pos}`);
    const b = bytes[pos++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, pos];
    scale *= 128;
  }
  throw malformed(`varint longer than 10 bytes at byte ${pos - 10}`);
}

function malformed(what: string): ConnectError {
  return new ConnectError(
    `malformed DataRequestProto: ${what}; the sender must encode jina.DataRequestProto`,
    Code.InvalidArgument,
  );
}
