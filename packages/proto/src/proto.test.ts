import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { DataRequestProtoSchema, DataRequestProtoWoDataSchema, DocumentArrayProtoSchema } from './index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('generated messages', () => {
  it('encode golden G6 (a DocumentArrayProto of two text documents) exactly', () => {
    const da = create(DocumentArrayProtoSchema, {
      docs: [
        { id: 'a', content: { case: 'text', value: 'aaa' } },
        { id: 'b', content: { case: 'text', value: 'bbb' } },
      ],
    });
    expect(hex(toBinary(DocumentArrayProtoSchema, da))).toBe('0a080a016122036161610a080a01622203626262');
  });

  it('read header, parameters and routes of a DataRequestProto without its documents', () => {
    const req = create(DataRequestProtoSchema, {
      header: { requestId: 'r1', execEndpoint: '/index' },
      parameters: { k: 5 },
      routes: [{ executor: 'gateway' }],
      data: { documents: { case: 'docs', value: { docs: [{ id: 'x' }] } } },
    });
    const lean = fromBinary(DataRequestProtoWoDataSchema, toBinary(DataRequestProtoSchema, req), {
      readUnknownFields: false,
    });
    expect(lean.header?.requestId).toBe('r1');
    expect(lean.header?.execEndpoint).toBe('/index');
    expect(lean.parameters).toEqual({ k: 5 });
    expect(lean.routes.map((r) => r.executor)).toEqual(['gateway']);
  });
});
