import { Code, ConnectError } from '@connectrpc/connect';

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
