import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { DocumentArray, Tensor } from '@weft/docarray';
import {
  DataRequestProtoSchema,
  DataRequestProtoWoDataSchema,
  DocumentArrayProtoSchema,
  RouteProtoSchema,
} from '@weft/proto';
import { describe, expect, it } from 'vitest';
import { createDataRequest, requestDocs } from '../request.js';
import { decodeDataRequest, encodeDataRequest, joinDataRequest, splitDataRequest } from './lean-request.js';

function sample() {
  const docs = new DocumentArray([
    { id: 'a', text: 'alpha', embedding: new Tensor(new Float32Array([1, 2, 3]), [3]) },
    { id: 'b', text: 'beta' },
  ]);
  return createDataRequest({ endpoint: '/index', docs, parameters: { k: 3 }, requestId: 'f'.repeat(32) });
}

describe('splitDataRequest / joinDataRequest', () => {
  it('splits an encoded request into a head that decodes as DataRequestProtoWoData and the untouched data', () => {
    const bytes = toBinary(DataRequestProtoSchema, sample());
    const { head, data } = splitDataRequest(bytes);
    expect(head.buffer).toBe(bytes.buffer); // views, not copies
    expect(head.length + data.length).toBe(bytes.length);
    expect(data[0]).toBe((4 << 3) | 2);
    const h = fromBinary(DataRequestProtoWoDataSchema, head);
    expect(h.header?.requestId).toBe('f'.repeat(32));
    expect(h.header?.execEndpoint).toBe('/index');
    expect(h.parameters).toEqual({ k: 3, __results__: {} });
  });

  it('joins a changed head with the same data into the request a full decode would give', () => {
    const req = sample();
    const bytes = toBinary(DataRequestProtoSchema, req);
    const { head, data } = splitDataRequest(bytes);
    const h = fromBinary(DataRequestProtoWoDataSchema, head);
    h.routes.push(create(RouteProtoSchema, { executor: 'gateway' }));
    const joined = joinDataRequest(toBinary(DataRequestProtoWoDataSchema, h), data);
    const back = fromBinary(DataRequestProtoSchema, joined);
    expect(back.routes.map((r) => r.executor)).toEqual(['gateway']);
    expect(back.header?.requestId).toBe('f'.repeat(32));
    const docs = requestDocs(back);
    expect(docs.map((d) => d.id)).toEqual(['a', 'b']);
    expect(Array.from(docs.at(0)!.embedding!.data as Float32Array)).toEqual([1, 2, 3]);
  });

  it('handles data first, interleaved fields, no data and an empty message', () => {
    const req = sample();
    // Decode the head part only: decoding the whole request as DataRequestProtoWoData would keep
    // the documents as an unknown field (protobuf-es preserves them) and write them back.
    const { head: original, data } = splitDataRequest(toBinary(DataRequestProtoSchema, req));
    const headBytes = toBinary(
      DataRequestProtoWoDataSchema,
      fromBinary(DataRequestProtoWoDataSchema, original),
    );
    const reordered = joinDataRequest(data, headBytes); // data first, then head
    const parts = splitDataRequest(reordered);
    expect(Buffer.compare(Buffer.from(parts.head), Buffer.from(headBytes))).toBe(0);
    expect(Buffer.compare(Buffer.from(parts.data), Buffer.from(data))).toBe(0);
    const noData = splitDataRequest(headBytes);
    expect(noData.data.length).toBe(0);
    expect(noData.head.length).toBe(headBytes.length);
    const empty = splitDataRequest(new Uint8Array(0));
    expect(empty.head.length + empty.data.length).toBe(0);
    expect(joinDataRequest(headBytes, new Uint8Array(0))).toBe(headBytes);
  });

  it('rejects bytes that are not a protobuf message with INVALID_ARGUMENT', () => {
    for (const bad of [
      Uint8Array.of(0x0a, 0x10, 0x01), // length past the end
      Uint8Array.of(0x0b), // wire type 3 (group)
      Uint8Array.of(0x80, 0x80), // unterminated varint
      Uint8Array.of(0x02, 0x00), // field number 0
    ]) {
      try {
        splitDataRequest(bad);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(ConnectError);
        expect((e as ConnectError).code).toBe(Code.InvalidArgument);
        expect((e as ConnectError).rawMessage).toMatch(/^malformed DataRequestProto: /);
      }
    }
  });
});

describe('decodeDataRequest / encodeDataRequest', () => {
  const flat = (m: Uint8Array | readonly Uint8Array[]) =>
    m instanceof Uint8Array ? m : Buffer.concat(m.map((p) => Buffer.from(p)));

  it('decodes head fields and keeps the documents as a view of their bytes', () => {
    const bytes = toBinary(DataRequestProtoSchema, sample());
    const req = decodeDataRequest(bytes);
    expect(req.header?.execEndpoint).toBe('/index');
    expect(req.parameters).toEqual({ k: 3, __results__: {} });
    const d = req.data?.documents;
    expect(d?.case).toBe('docsBytes');
    expect((d!.value as Uint8Array).buffer).toBe(bytes.buffer);
    expect(requestDocs(req).texts).toEqual(['alpha', 'beta']);
    expect([...(requestDocs(req).get('a')!.embedding!.data as Float32Array)]).toEqual([1, 2, 3]);
  });

  it('writes untouched documents back as the docs field: the same bytes a full encode gives', () => {
    const original = sample();
    const bytes = toBinary(DataRequestProtoSchema, original);
    const req = decodeDataRequest(bytes);
    req.routes.push(create(RouteProtoSchema, { executor: 'next' }));
    const out = encodeDataRequest(req);
    expect(Array.isArray(out)).toBe(true); // in parts: the documents are not copied
    expect((out as Uint8Array[])[2]!.buffer).toBe(bytes.buffer);
    const full = fromBinary(DataRequestProtoSchema, flat(out));
    expect(full.data?.documents.case).toBe('docs');
    original.routes.push(create(RouteProtoSchema, { executor: 'next' }));
    expect(Buffer.from(flat(out))).toEqual(Buffer.from(toBinary(DataRequestProtoSchema, original)));
  });

  it('reads docs_bytes like docs, and requests without documents or with empty ones', () => {
    const docs = new DocumentArray([{ id: 'x', text: 'hi' }]);
    const viaBytes = create(DataRequestProtoSchema, {
      data: { documents: { case: 'docsBytes', value: docs.toBytes() } },
    });
    const r = decodeDataRequest(toBinary(DataRequestProtoSchema, viaBytes));
    expect(requestDocs(r).texts).toEqual(['hi']);
    expect(fromBinary(DataRequestProtoSchema, flat(encodeDataRequest(r))).data?.documents.case).toBe('docs');
    const none = decodeDataRequest(toBinary(DataRequestProtoSchema, createDataRequest({ endpoint: '/x' })));
    expect(requestDocs(none).length).toBe(0);
    const empty = decodeDataRequest(
      toBinary(DataRequestProtoSchema, createDataRequest({ docs: new DocumentArray() })),
    );
    expect(requestDocs(empty).length).toBe(0);
    expect(fromBinary(DataRequestProtoSchema, flat(encodeDataRequest(empty))).header?.requestId).toBe(
      empty.header?.requestId,
    );
  });

  it('writes documents of any size with the right length prefixes', () => {
    for (const n of [0, 1, 100, 127, 128, 16_383, 16_384, 300_000]) {
      const value =
        n === 0 ? new Uint8Array(0) : new DocumentArray([{ id: 'd', text: 'x'.repeat(n) }]).toBytes();
      const req = create(DataRequestProtoSchema, { data: { documents: { case: 'docsBytes', value } } });
      const back = fromBinary(DataRequestProtoSchema, flat(encodeDataRequest(req)));
      expect(back.data?.documents.case).toBe('docs');
      expect(toBinary(DocumentArrayProtoSchema, back.data!.documents.value as never).length).toBe(
        value.length,
      );
      expect(requestDocs(back).length).toBe(n === 0 ? 0 : 1);
    }
  });

  it('refuses bytes that are not a DataRequestProto with INVALID_ARGUMENT', () => {
    for (const bad of [
      new Uint8Array([0x22, 0x05, 0x0a]),
      new Uint8Array([0xff]),
      new Uint8Array([0x22, 0x02, 0x0a, 0x09]),
    ]) {
      let err: unknown;
      try {
        decodeDataRequest(bad);
      } catch (e) {
        err = e;
      }
      expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    }
  });
});
