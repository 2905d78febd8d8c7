// Case 7: bad input at every door of a gateway in its own process. Builds on the gateway package's
// fuzz test (malformed JSON, wrong types, garbage/truncated/oversized gRPC frames, bad WebSocket
// frames) and adds what it leaves out: deeply nested JSON, huge strings, unknown routes and methods,
// wrong content types, a separate process that must not crash, and memory back to baseline.
import { type ChildProcess, fork } from 'node:child_process';
import * as http2 from 'node:http2';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { toBinary } from '@bufbuild/protobuf';
import { createDataRequest } from '@weft/core';
import { DocumentArray } from '@weft/docarray';
import { serveExecutor, type Worker } from '@weft/executor-runtime';
import { DataRequestProtoSchema } from '@weft/proto';
import fc from 'fast-check';
import { Agent, fetch, request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Tagger } from './test-fixtures/executors.js';

const RUNS = Number(process.env.WEFT_FUZZ_RUNS ?? 10_000);
const LIMIT = 64 * 1024;
const MiB = 2 ** 20;
/** How far above its baseline the gateway's heap may end after the fuzz (JIT code, caches, pools). */
const HEAP_TOLERANCE_MIB = 3;
const GATEWAY = fileURLToPath(new URL('./test-fixtures/gateway-process.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

let worker: Worker;
let child: ChildProcess;
let ports: { grpc: number; http: number; websocket: number };
let baseline: NodeJS.MemoryUsage;

function memory(): Promise<NodeJS.MemoryUsage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('gateway did not report its memory in 10 s')), 10_000);
    child.once('message', (m: { memory: NodeJS.MemoryUsage }) => {
      clearTimeout(timer);
      resolve(m.memory);
    });
    child.send('gc');
  });
}

/** The gateway process must still be the same, alive one. */
function expectAlive() {
  expect(child.exitCode).toBeNull();
  expect(child.signalCode).toBeNull();
}

async function validHttp(n: number) {
  const agent = new Agent({ connections: 4 });
  try {
    for (let i = 0; i < n; i++) {
      const res = await fetch(`http://127.0.0.1:${ports.http}/post`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ data: [{ text: 'fine' }] }),
        dispatcher: agent,
        signal: AbortSignal.timeout(10_000),
      });
      expect(((await res.json()) as { data: { text: string }[] }).data[0]!.text).toBe('fine;');
    }
  } finally {
    await agent.close();
  }
}

beforeAll(async () => {
  worker = await serveExecutor({ uses: Tagger, name: 't' });
  child = fork(GATEWAY, [String(worker.port), String(LIMIT)], {
    execArgv: ['--import', TSX, '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  ports = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('gateway process not ready in 30 s')), 30_000);
    child.once('message', (m: { ports: typeof ports }) => {
      clearTimeout(timer);
      resolve(m.ports);
    });
    child.once('exit', (code) => reject(new Error(`gateway process exited with ${code}`)));
  });
  await validHttp(300); // warm up before the baseline
  baseline = await memory();
}, 60_000);
const growth: Record<string, number> = {};
let mark: NodeJS.MemoryUsage | undefined;
beforeEach(async () => {
  mark = child?.connected ? await memory() : undefined;
});
afterEach(async (ctx) => {
  if (mark && child.connected)
    growth[ctx.task.name.split(':')[0]!] = ((await memory()).heapUsed - mark.heapUsed) / MiB;
});
afterAll(async () => {
  console.log(`[case 7] heap growth per test (MiB): ${JSON.stringify(growth)}`);
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.disconnect();
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    await exited;
  }
  await worker?.close(1000);
});

/** JSON nested `depth` levels deep, inside a field of a document or as the whole body. */
const deeplyNested = fc
  .record({
    depth: fc.integer({ min: 100, max: 12_000 }),
    shape: fc.constantFrom('object', 'array'),
    where: fc.constantFrom('tags', 'parameters', 'data', 'body'),
  })
  .map(({ depth, shape, where }) => {
    const [open, close] = shape === 'object' ? ['{"a":', '}'] : ['[', ']'];
    const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
    if (where === 'body') return nested;
    if (where === 'data') return `{"data": ${nested}}`;
    if (where === 'parameters') return `{"data": [], "parameters": ${nested}}`;
    return `{"data": [{"text": "x", "tags": ${nested}}]}`;
  });

/** Strings just under and over the body limit, in every text field. */
const hugeStrings = fc
  .record({
    n: fc.integer({ min: LIMIT / 2, max: LIMIT * 2 }),
    field: fc.constantFrom('text', 'id', 'uri', 'mime_type', 'execEndpoint', 'targetExecutor'),
    ch: fc.constantFrom('x', 'é', '\\u0000', '"', '\\\\'),
  })
  .map(({ n, field, ch }) => {
    const s = ch.repeat(Math.ceil(n / ch.length));
    if (field === 'execEndpoint' || field === 'targetExecutor') return `{"data": [], "${field}": "${s}"}`;
    return `{"data": [{"${field}": "${s}"}]}`;
  });

/** Bodies with wrong types in known places and malformed text. */
const malformed = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.json({ depthSize: 'small' }).map((j) => j.slice(0, Math.max(0, j.length - 1))),
  fc.anything().map((v) => JSON.stringify({ data: v }) ?? '{}'),
  fc.anything().map((v) => JSON.stringify({ data: [{ text: v, embedding: v, tensor: v }] }) ?? '{}'),
  fc.anything().map((v) => JSON.stringify({ data: [], parameters: v, execEndpoint: v }) ?? '{}'),
);

const body = fc.oneof(
  { weight: 2, arbitrary: deeplyNested },
  { weight: 1, arbitrary: hugeStrings },
  { weight: 3, arbitrary: malformed },
);

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'PROPFIND', 'TRACE'];
const knownPaths = [
  '/post',
  '/index',
  '/search',
  '/update',
  '/delete',
  '/',
  '/status',
  '/dry_run',
  '/openapi.json',
];
const path = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...knownPaths) },
  { weight: 1, arbitrary: fc.webPath().map((p) => p || '/') },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => `/${encodeURIComponent(s)}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '/../../etc/passwd',
      '/%00',
      '/post?x=%ZZ',
      '//post',
      '/post/',
      '/docs/../post',
    ),
  },
);
const method = fc.oneof(
  { weight: 3, arbitrary: fc.constant('POST') },
  { weight: 2, arbitrary: fc.constantFrom(...METHODS) },
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  '',
);

describe('case 7: bad input at every door never crashes or hangs the gateway', () => {
  it(`HTTP: ${RUNS} bad bodies, methods, routes and content types get 2xx/4xx, never 5xx or a hang`, async () => {
    const agent = new Agent({ connections: 8 });
    const statuses = new Map<number, number>();
    try {
      await fc.assert(
        fc.asyncProperty(method, path, contentType, body, async (method, p, ct, b) => {
          const withBody = !['GET', 'HEAD', 'TRACE', 'OPTIONS'].includes(method);
          const res = await request(`http://127.0.0.1:${ports.http}${p}`, {
            method: method as 'GET',
            headers: ct && withBody ? { 'content-type': ct } : {},
            body: withBody ? b : undefined,
            dispatcher: agent,
            signal: AbortSignal.timeout(10_000),
          });
          await res.body.arrayBuffer();
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          return res.statusCode < 500;
        }),
        { numRuns: RUNS },
      );
    } finally {
      await agent.close();
      console.log(`[case 7] HTTP statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
    }
    expect(statuses.get(400)).toBeGreaterThan(0);
    expect(statuses.get(404)).toBeGreaterThan(0);
    expect(statuses.get(413)).toBeGreaterThan(0);
    expectAlive();
    await validHttp(5);
  }, 300_000);

  it(`gRPC: ${RUNS} bad messages, unknown methods and wrong content types get a status, never INTERNAL/UNKNOWN or a hang`, async () => {
    const session = http2.connect(`http://127.0.0.1:${ports.grpc}`);
    session.on('error', () => {});
    const codes = new Map<string, number>();
    const valid = toBinary(DataRequestProtoSchema, createDataRequest({ docs: DocumentArray.empty(1) }));
    const frame = (payload: Uint8Array, claimed = payload.byteLength, flag = 0) => {
      const f = Buffer.alloc(5 + payload.byteLength);
      f[0] = flag;
      f.writeUInt32BE(claimed, 1);
      f.set(payload, 5);
      return f;
    };
    // Nested messages: a DocumentProto's chunks (field 4 of DocumentProto is not assumed): length-delimited field 1 repeated deep.
    const nestedProto = (depth: number) => {
      let inner: Buffer = Buffer.alloc(0);
      for (let i = 0; i < depth; i++) {
        const len = Buffer.from(encodeVarint(inner.length));
        inner = Buffer.concat([Buffer.from([0x0a]), len, inner]);
      }
      return inner;
    };
    const message = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((p) => frame(p)),
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((p) => frame(p, p.byteLength + 10)),
      fc.integer({ min: 1, max: valid.byteLength - 1 }).map((n) => frame(valid.subarray(0, n))),
      fc.integer({ min: 10, max: 3000 }).map((d) => frame(nestedProto(d))),
      fc.constant(frame(valid, valid.byteLength, 1)), // claims compression that was not negotiated
      fc.integer({ min: LIMIT + 1, max: LIMIT * 3 }).map((n) => frame(new Uint8Array(n).fill(0x0a))),
      fc.uint8Array({ maxLength: 4 }).map((p) => Buffer.from(p)),
    );
    const grpcPath = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.constantFrom(
          '/jina.JinaSingleDataRequestRPC/process_single_data',
          '/jina.JinaRPC/Call',
          '/jina.JinaDataRequestRPC/process_data',
        ),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '/jina.JinaRPC/Nope',
          '/jina.Nope/Call',
          '/',
          '/grpc.health.v1.Health/Check',
        ),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((s) => `/${encodeURIComponent(s)}`) },
    );
    const grpcType = fc.constantFrom(
      'application/grpc',
      'application/grpc',
      'application/grpc+proto',
      'application/grpc+json',
      'application/json',
      'text/plain',
    );
    const call = (p: string, type: string, b: Buffer) =>
      new Promise<string>((resolve, reject) => {
        const s = session.request({ ':method': 'POST', ':path': p, 'content-type': type, te: 'trailers' });
        const timer = setTimeout(() => {
          s.close();
          reject(new Error(`no answer in 10 s for ${p}`));
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
        s.end(b);
      });
    // 0 OK (bytes that decode), 3 INVALID_ARGUMENT, 8 RESOURCE_EXHAUSTED, 12 UNIMPLEMENTED (unknown method or
    // compression), HTTP 404 (unknown path) / 415 (not gRPC).
    const allowed = ['0', '3', '8', '12', 'http 404', 'http 415'];
    try {
      await fc.assert(
        fc.asyncProperty(grpcPath, grpcType, message, async (p, type, b) => {
          const code = await call(p, type, b);
          codes.set(code, (codes.get(code) ?? 0) + 1);
          return allowed.includes(code);
        }),
        { numRuns: RUNS },
      );
    } finally {
      session.destroy();
      console.log(`[case 7] gRPC statuses: ${JSON.stringify(Object.fromEntries(codes))}`);
    }
    expect(codes.get('3')).toBeGreaterThan(0);
    expect(codes.get('8')).toBeGreaterThan(0);
    expectAlive();
  }, 300_000);

  it(`WebSocket: ${RUNS} bad frames get a close code (1007/1009) or an answer, never a crash or hang`, async () => {
    const closes = new Map<number, number>();
    const wsCase = fc.oneof(
      body.map((t) => ({ protocol: 'json', frame: t as string | Buffer })),
      fc
        .uint8Array({ minLength: 2, maxLength: 300 })
        .map((b) => ({ protocol: 'bytes', frame: Buffer.from(b) })),
      fc.string({ maxLength: 50 }).map((t) => ({ protocol: 'bytes', frame: t as string | Buffer })),
    );
    const one = (protocol: string, frame: string | Buffer) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${ports.websocket}/`, protocol);
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
    try {
      await fc.assert(
        fc.asyncProperty(wsCase, async ({ protocol, frame }) => {
          const code = await one(protocol, frame);
          closes.set(code, (closes.get(code) ?? 0) + 1);
          return [1000, 1003, 1007, 1009].includes(code);
        }),
        { numRuns: RUNS },
      );
    } finally {
      console.log(`[case 7] WebSocket closes: ${JSON.stringify(Object.fromEntries(closes))}`);
    }
    expect(closes.get(1007)).toBeGreaterThan(0);
    expect(closes.get(1009)).toBeGreaterThan(0);
    expectAlive();
  }, 300_000);

  it('JSON nested up to 32 levels runs through the Flow; deeper gets 400 / close 1007 naming the limit', async () => {
    const tags = (levels: number) =>
      `{"data": [{"text": "x", "tags": ${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}}]}`;
    const post = async (b: string) => {
      const res = await fetch(`http://127.0.0.1:${ports.http}/post`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: b,
        signal: AbortSignal.timeout(10_000),
      });
      return { status: res.status, body: (await res.json()) as { detail?: string } };
    };
    expect((await post(tags(32 - 3))).status).toBe(200); // body, data, doc + 29 levels of tags = 32
    const deep = await post(tags(32 - 2));
    expect(deep.status).toBe(400);
    expect(deep.body.detail).toMatch(/more than 32 levels deep/);
    const close = await new Promise<{ code: number; reason: string }>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${ports.websocket}/`, 'json');
      ws.on('open', () => ws.send(tags(5000)));
      ws.on('close', (code, reason) => resolve({ code, reason: String(reason) }));
    });
    expect(close.code).toBe(1007);
    expect(close.reason).toMatch(/more than 32 levels deep/);
  });

  it('300 oversized gRPC messages on one open connection leave nothing behind', async () => {
    const session = http2.connect(`http://127.0.0.1:${ports.grpc}`);
    session.on('error', () => {});
    const codes = new Map<string, number>();
    const oversized = (n: number) => {
      const f = Buffer.alloc(5 + n, 0x0a);
      f[0] = 0;
      f.writeUInt32BE(n, 1);
      return f;
    };
    const before = await memory();
    try {
      for (let i = 0; i < 300; i++) {
        const code = await new Promise<string>((resolve, reject) => {
          const s = session.request({
            ':method': 'POST',
            ':path': '/jina.JinaSingleDataRequestRPC/process_single_data',
            'content-type': 'application/grpc',
            te: 'trailers',
          });
          const timer = setTimeout(() => reject(new Error('no answer in 10 s')), 10_000);
          let status = '';
          s.on('trailers', (t) => (status = String(t['grpc-status'])));
          s.on('response', (h) => (status ||= String(h['grpc-status'] ?? '')));
          s.on('data', () => {});
          s.on('error', () => {});
          s.on('close', () => {
            clearTimeout(timer);
            resolve(status);
          });
          s.end(oversized(LIMIT + 1 + i * 200));
        });
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
      // Measured while the connection is still open: the streams must be gone, not just the session.
      const grew = ((await memory()).heapUsed - before.heapUsed) / MiB;
      console.log(
        `[case 7] 300 oversized gRPC messages on one connection: ${JSON.stringify(Object.fromEntries(codes))}, heap ${grew >= 0 ? '+' : ''}${grew.toFixed(2)} MiB with the connection open`,
      );
      expect(codes.get('8')).toBe(300);
      expect(grew).toBeLessThan(2); // ~9 MiB when each refused message kept its stream
    } finally {
      session.destroy();
    }
  });

  // Every connection of the fuzz is closed by now: the heap (after full collections) must be back
  // near its baseline. Before the fix in guardSession (limits.ts) each oversized gRPC message kept
  // ~32 KiB (its stream never ended), ~15 MiB after 10 000 gRPC cases; see docs/reliability.md.
  it(`the heap is back within ${HEAP_TOLERANCE_MIB} MiB of its baseline once the fuzz's connections are closed`, async () => {
    await validHttp(50);
    const after = await memory();
    const grew = after.heapUsed - baseline.heapUsed;
    console.log(
      `[case 7] gateway heap ${(baseline.heapUsed / MiB).toFixed(1)} → ${(after.heapUsed / MiB).toFixed(1)} MiB (${grew >= 0 ? '+' : ''}${(grew / MiB).toFixed(2)}), RSS ${(baseline.rss / MiB).toFixed(0)} → ${(after.rss / MiB).toFixed(0)} MiB after ${3 * RUNS} bad inputs`,
    );
    expectAlive();
    expect(grew).toBeLessThan(HEAP_TOLERANCE_MIB * MiB);
  }, 60_000);
});

function encodeVarint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
