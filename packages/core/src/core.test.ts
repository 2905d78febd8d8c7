import { toBinary } from '@bufbuild/protobuf';
import { DocumentArray } from '@weft/docarray';
import { DocumentArrayProtoSchema, StatusProto_StatusCode } from '@weft/proto';
import { describe, expect, it } from 'vitest';
import {
  createDataRequest,
  errorStatus,
  isErrorResponse,
  parseAddress,
  requestDocs,
  requestEndpoint,
} from './index.js';

describe('parseAddress', () => {
  it('reads host:port and every scheme', () => {
    expect(parseAddress('localhost:8080')).toEqual({
      host: 'localhost',
      port: 8080,
      tls: false,
      scheme: 'grpc',
    });
    expect(parseAddress('grpcs://a.b:443')).toMatchObject({
      host: 'a.b',
      port: 443,
      tls: true,
      scheme: 'grpc',
    });
    expect(parseAddress('https://h:1')).toMatchObject({ scheme: 'http', tls: true });
    expect(parseAddress('ws://h:2')).toMatchObject({ scheme: 'ws', tls: false });
    expect(parseAddress('[::1]:5')).toMatchObject({ host: '::1', port: 5 });
  });
  it('explains what is wrong with a bad address', () => {
    expect(() => parseAddress('nope')).toThrow(/expected host:port/);
    expect(() => parseAddress('ftp://h:1')).toThrow(/unknown scheme 'ftp'/);
    expect(() => parseAddress('h:70000')).toThrow(/out of range/);
  });
});

describe('requests', () => {
  it('creates a request as a Jina client does', () => {
    const req = createDataRequest({ docs: DocumentArray.empty(3), parameters: { a: 1 } });
    expect(req.header?.requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(requestEndpoint(req)).toBe('/');
    expect(req.parameters).toEqual({ a: 1, __results__: {} });
    expect(requestDocs(req).length).toBe(3);
  });
  it('reads documents sent as docs_bytes', () => {
    const docs = new DocumentArray([{ text: 'x' }, { text: 'y' }]);
    const req = createDataRequest();
    req.data!.documents = { case: 'docsBytes', value: toBinary(DocumentArrayProtoSchema, docs.toProto()) };
    expect(requestDocs(req).texts).toEqual(['x', 'y']);
  });
  it('describes an error as an ERROR status', () => {
    const s = errorStatus(new RangeError('too big'), 'enc');
    expect(s.code).toBe(StatusProto_StatusCode.ERROR);
    expect(s.exception).toMatchObject({ name: 'RangeError', args: ['too big'], executor: 'enc' });
    const req = createDataRequest();
    req.header!.status = s;
    expect(isErrorResponse(req)).toBe(true);
  });
});
