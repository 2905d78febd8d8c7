import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import {
  createWeftTransport,
  type GrpcServer,
  registerHealth,
  ServingStatus,
  startGrpcServer,
} from '@weft/core/grpc';
import { Document } from '@weft/docarray';
import {
  EndpointsProtoSchema,
  JinaDiscoverEndpointsRPC,
  JinaSingleDocumentRequestRPC,
  SingleDocumentRequestProtoSchema,
} from '@weft/proto';
import { Executor, requests, serveExecutor } from '@weft/executor-runtime';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from './index.js';

// A streaming executor stand-in: a real gRPC server answering stream_doc with three documents
// per request (or an error when the text is 'fail').
let server: GrpcServer;
let gw: Gateway;
beforeAll(async () => {
  server = await startGrpcServer({
    routes(router) {
      router.service(JinaSingleDocumentRequestRPC, {
        async *stream_doc(req) {
          const text = req.document?.content.case === 'text' ? req.document.content.value : '';
          for (let i = 0; i < 3; i++) {
            if (text === 'fail' && i === 1) throw new ConnectError('stream broke', Code.Internal);
            yield create(SingleDocumentRequestProtoSchema, {
              header: req.header,
              document: new Document({ text: `${text}-${i}` }).toProto(),
            });
          }
        },
      });
      router.service(JinaDiscoverEndpointsRPC, {
        endpoint_discovery: () => create(EndpointsProtoSchema, { endpoints: ['/stream-me'] }),
      });
      registerHealth(router, () => ServingStatus.SERVING);
    },
  });
  gw = await startGateway({
    graph: { 'start-gateway': ['s'], s: ['end-gateway'] },
    addresses: { s: [`127.0.0.1:${server.port}`] },
    protocol: ['grpc', 'http'],
    logger: pino({ level: 'silent' }),
  });
});
afterAll(async () => {
  await gw?.close(1000);
  await server?.close(1000);
});

describe('streaming endpoints', () => {
  it('forwards gRPC stream_doc, one document per yield, in order', async () => {
    const t = createWeftTransport(`http://127.0.0.1:${gw.ports.grpc}`);
    try {
      const c = createClient(JinaSingleDocumentRequestRPC, t.transport);
      const texts: string[] = [];
      const req = create(SingleDocumentRequestProtoSchema, {
        header: { requestId: 'x', execEndpoint: '/stream-me' },
        document: new Document({ text: 'hi' }).toProto(),
      });
      for await (const part of c.stream_doc(req, { timeoutMs: 5000 }))
        texts.push(Document.fromProto(part.document!).text);
      expect(texts).toEqual(['hi-0', 'hi-1', 'hi-2']);
    } finally {
      t.close();
    }
  });

  it('serves Server-Sent Events at POST /stream, and an error event when the stream breaks', async () => {
    const sse = async (text: string) => {
      const res = await fetch(`http://127.0.0.1:${gw.ports.http}/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ execEndpoint: '/stream-me', data: [{ text }] }),
        signal: AbortSignal.timeout(5000),
      });
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      return (await res.text())
        .split('\n\n')
        .filter(Boolean)
        .map((block) => {
          const [ev, data] = block.split('\n');
          return { event: ev!.slice('event: '.length), data: JSON.parse(data!.slice('data: '.length)) };
        });
    };
    const ok = await sse('hey');
    expect(ok.map((e) => e.event)).toEqual(['update', 'update', 'update', 'end']);
    expect(ok.slice(0, 3).map((e) => e.data.text)).toEqual(['hey-0', 'hey-1', 'hey-2']);
    const broken = await sse('fail');
    expect(broken.map((e) => e.event)).toEqual(['update', 'error']);
    expect(broken[1]!.data.detail).toMatch(/stream broke/);
    const bad = await fetch(`http://127.0.0.1:${gw.ports.http}/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ data: [{ text: 'a' }, { text: 'b' }] }),
    });
    expect(bad.status).toBe(400);
  });

  it("streams a real executor runtime's async-generator endpoint through stream_doc and SSE", async () => {
    class Counter extends Executor {
      @requests({ on: '/count' })
      async *count(doc: Document) {
        for (let i = 1; i <= 3; i++) yield new Document({ text: `${doc.text}:${i}` });
      }
    }
    const w = await serveExecutor({ uses: Counter, name: 'counter' });
    const g = await startGateway({
      graph: { 'start-gateway': ['counter'], counter: ['end-gateway'] },
      addresses: { counter: [`127.0.0.1:${w.port}`] },
      protocol: ['grpc', 'http'],
      logger: pino({ level: 'silent' }),
    });
    const t = createWeftTransport(`http://127.0.0.1:${g.ports.grpc}`);
    try {
      const c = createClient(JinaSingleDocumentRequestRPC, t.transport);
      const req = create(SingleDocumentRequestProtoSchema, {
        header: { requestId: 'y', execEndpoint: '/count' },
        document: new Document({ text: 'n' }).toProto(),
      });
      const texts: string[] = [];
      for await (const part of c.stream_doc(req, { timeoutMs: 5000 }))
        texts.push(Document.fromProto(part.document!).text);
      expect(texts).toEqual(['n:1', 'n:2', 'n:3']);
      const res = await fetch(`http://127.0.0.1:${g.ports.http}/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ execEndpoint: '/count', data: [{ text: 'm' }] }),
        signal: AbortSignal.timeout(5000),
      });
      const events = (await res.text()).split('\n\n').filter(Boolean);
      expect(events).toHaveLength(4);
      expect(events.slice(0, 3).map((e) => JSON.parse(e.split('\n')[1]!.slice(6)).text)).toEqual([
        'm:1',
        'm:2',
        'm:3',
      ]);
    } finally {
      t.close();
      await g.close(1000);
      await w.close(1000);
    }
  });
});
