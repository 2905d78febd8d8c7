import * as http2 from 'node:http2';
import { toBinary } from '@bufbuild/protobuf';
import { createDataRequest } from '@weft/core';
import { DocumentArray } from '@weft/docarray';
import { serveExecutor, type Worker } from '@weft/executor-runtime';
import { DataRequestProtoSchema } from '@weft/proto';
import fc from 'fast-check';
import pino from 'pino';
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Gateway, startGateway } from './index.js';
import { appender } from './test-fixtures/harness.js';

// Each door gets RUNS cases of bad input; after them a normal request must still succeed.
const RUNS = Number(process.env.WEFT_FUZZ_RUNS ?? 10_000);
const LIMIT = 4096;

let worker: Worker;
let gw: Gateway;
beforeAll(async () => {
  worker = await serveExecutor({ uses: appender('A'), name: 'a' });
  gw = await startGateway({
    graph: { 'start-gateway': ['a'], a: ['end-gateway'] },
    addresses: { a: [`127.0.0.1:${worker.port}`] },
    protocol: ['grpc', 'http', 'websocket'],
    bodyLimit: LIMIT,
    logger: pino({ level: 'silent' }),
  });
});
afterAll(async () => {
  await gw?.close(1000);
  await worker?.close(1000);
});

/** Malformed JSON texts: truncated, garbage, wrong top-level types. */
const badJsonText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.json().map((j) => j.slice(0, Math.max(0, j.length - 1 - (j.length % 3)))),
  fc.constantFrom('{', '[', '{"data": [', '{"data": [{"text": }]}', 'null', '1', '"x"', '[]', '{"a":1,}'),
);

/** Well-formed JSON with wrong types where a request has typed fields. */
const wrongTypes = fc
  .record(
    {
      data: fc.oneof(
        fc.anything(),
        fc.array(
          fc.record(
            {
              id: fc.anything(),
              text: fc.anything(),
              blob: fc.anything(),
              tensor: fc.anything(),
              embedding: fc.anything(),
              tags: fc.anything(),
              weight: fc.anything(),
              location: fc.anything(),
              chunks: fc.anything(),
              scores: fc.anything(),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 3 },
        ),
      ),
      parameters: fc.anything(),
      execEndpoint: fc.anything(),
      target_executor: fc.anything(),
      request_id: fc.anything(),
    },
    { requiredKeys: [] },
  )
  .map((o) => JSON.stringify(o) ?? 'null');

const oversized = fc
  .integer({ min: LIMIT + 1, max: LIMIT * 3 })
  .map((n) => `{"data": [{"text": "${'x'.repeat(n)}"}]}`);

const httpCase = fc.oneof(
  { weight: 3, arbitrary: badJsonText },
  { weight: 4, arbitrary: wrongTypes },
  { weight: 1, arbitrary: oversized },
);

describe('fuzzing the doors never breaks the gateway', () => {
  it(`HTTP: ${RUNS} bad bodies get a 4xx (or 200 when accidentally valid), never a 5xx`, async () => {
    const agent = new Agent({ connections: 4 });
    const statuses = new Map<number, number>();
    try {
      await fc.assert(
        fc.asyncProperty(httpCase, fc.constantFrom('/post', '/index', '/search'), async (body, path) => {
          const res = await fetch(`http://127.0.0.1:${gw.ports.http}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
            dispatcher: agent,
            signal: AbortSignal.timeout(10_000),
          });
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          return res.status === 200 || (res.status >= 400 && res.status < 500);
        }),
        { numRuns: RUNS },
      );
      expect(statuses.get(400)).toBeGreaterThan(RUNS / 4);
      expect(statuses.get(413)).toBeGreaterThan(0);
      const ok = await fetch(`http://127.0.0.1:${gw.ports.http}/post`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: [{ text: 'fine' }] }),
        dispatcher: agent,
      });
      expect(((await ok.json()) as any).data[0].text).toBe('fineA');
    } finally {
      await agent.close();
    }
  }, 300_000);

  it(`gRPC: ${RUNS} garbage, truncated and oversized frames get INVALID_ARGUMENT / RESOURCE_EXHAUSTED (or OK when they decode)`, async () => {
    const session = http2.connect(`http://127.0.0.1:${gw.ports.grpc}`);
    session.on('error', () => {});
    const codes = new Map<string, number>();
    const valid = toBinary(DataRequestProtoSchema, createDataRequest({ docs: DocumentArray.empty(1) }));
    const frame = (payload: Uint8Array, claimed = payload.byteLength) => {
      const b = Buffer.alloc(5 + payload.byteLength);
      b.writeUInt32BE(claimed, 1);
      b.set(payload, 5);
      return b;
    };
    const grpcCase = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((p) => frame(p)),
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((p) => frame(p, p.byteLength + 10)), // truncated
      fc.integer({ min: 1, max: valid.byteLength - 1 }).map((n) => frame(valid.subarray(0, n))), // cut message
      fc.uint8Array({ maxLength: 4 }).map((p) => Buffer.from(p)), // truncated frame header
      fc.integer({ min: LIMIT + 1, max: LIMIT * 4 }).map((n) => frame(new Uint8Array(n).fill(0x0a))), // oversized
    );
    const call = (path: string, body: Buffer) =>
      new Promise<string>((resolve, reject) => {
        const s = session.request({
          ':method': 'POST',
          ':path': path,
          'content-type': 'application/grpc',
          te: 'trailers',
        });
        const timer = setTimeout(() => {
          s.close();
          reject(new Error('no answer in 10 s'));
        }, 10_000);
        let status: string | undefined;
        let httpStatus = 0;
        s.on('response', (h) => {
          httpStatus = Number(h[':status']);
          status ??= h['grpc-status'] as string | undefined;
        });
        s.on('trailers', (t) => {
          status ??= t['grpc-status'] as string | undefined;
        });
        s.on('data', () => {});
        s.on('error', () => {});
        s.on('close', () => {
          clearTimeout(timer);
          resolve(status ?? `http ${httpStatus}`);
        });
        s.end(body);
      });
    try {
      await fc.assert(
        fc.asyncProperty(
          grpcCase,
          fc.constantFrom('/jina.JinaSingleDataRequestRPC/process_single_data', '/jina.JinaRPC/Call'),
          async (body, path) => {
            const code = await call(path, body);
            codes.set(code, (codes.get(code) ?? 0) + 1);
            // 0 OK (bytes that happen to decode), 3 INVALID_ARGUMENT, 8 RESOURCE_EXHAUSTED
            return ['0', '3', '8'].includes(code);
          },
        ),
        { numRuns: RUNS },
      );
      expect(codes.get('3')).toBeGreaterThan(RUNS / 4);
      expect(codes.get('8')).toBeGreaterThan(0);
      expect(await call('/jina.JinaSingleDataRequestRPC/process_single_data', frame(valid))).toBe('0');
      expect(await call('/jina.NoSuchService/nope', frame(valid))).toBe('http 404');
    } finally {
      session.destroy();
    }
  }, 300_000);

  it(`WebSocket: ${RUNS} bad frames get close 1007/1009 (or an answer when valid), never a crash`, async () => {
    const closes = new Map<number, number>();
    const wsCase = fc.oneof(
      { weight: 3, arbitrary: badJsonText.map((t) => ({ protocol: 'json', frame: t as string | Buffer })) },
      { weight: 3, arbitrary: wrongTypes.map((t) => ({ protocol: 'json', frame: t as string | Buffer })) },
      { weight: 1, arbitrary: oversized.map((t) => ({ protocol: 'json', frame: t as string | Buffer })) },
      {
        weight: 3,
        arbitrary: fc
          .uint8Array({ minLength: 2, maxLength: 300 })
          .map((b) => ({ protocol: 'bytes', frame: Buffer.from(b) })),
      },
    );
    const one = (protocol: string, frame: string | Buffer) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${gw.ports.websocket}/`, protocol);
        const timer = setTimeout(() => {
          ws.terminate();
          reject(new Error('no answer or close in 10 s'));
        }, 10_000);
        ws.on('error', () => {});
        ws.on('open', () => ws.send(frame, { binary: typeof frame !== 'string' }));
        ws.on('message', () => ws.close(1000));
        ws.on('close', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
      });
    await fc.assert(
      fc.asyncProperty(wsCase, async ({ protocol, frame }) => {
        const code = await one(protocol, frame);
        closes.set(code, (closes.get(code) ?? 0) + 1);
        return [1000, 1007, 1009].includes(code);
      }),
      { numRuns: RUNS },
    );
    expect(closes.get(1007)).toBeGreaterThan(RUNS / 4);
    expect(closes.get(1009)).toBeGreaterThan(0);
    const ws = new WebSocket(`ws://127.0.0.1:${gw.ports.websocket}/`, 'json');
    const answer = await new Promise<any>((resolve, reject) => {
      ws.on('error', reject);
      ws.on('open', () => ws.send(JSON.stringify({ data: [{ text: 'fine' }] })));
      ws.on('message', (m) => resolve(JSON.parse(String(m))));
    });
    ws.close();
    expect(answer.data[0].text).toBe('fineA');
  }, 300_000);
});
