import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { DataRequestProtoSchema, DocumentArrayProtoSchema } from '@weft/proto';
import Fastify, { type FastifyInstance } from 'fastify';
import { type WebSocket, WebSocketServer } from 'ws';

type Json = Record<string, any>;

/**
 * Builds the response JSON of semantics.md ("HTTP door") by hand, independently of the client's
 * code: texts upper-cased, `/fail` gives an executor ERROR status.
 */
export function answer(body: Json): Json {
  const endpoint = body.execEndpoint ?? body.exec_endpoint ?? '/';
  const header: Json = {
    request_id: body.requestId ?? 'f'.repeat(32),
    exec_endpoint: endpoint,
    target_executor: body.targetExecutor ?? '',
  };
  const routes: Json[] = [
    { executor: 'gateway', start_time: '2026-01-01T00:00:00.000Z', end_time: '2026-01-01T00:00:00.010Z' },
    { executor: 'upper', start_time: '2026-01-01T00:00:00.002Z', end_time: '2026-01-01T00:00:00.006Z' },
  ];
  if (endpoint === '/fail') {
    header.status = {
      code: 1,
      description: 'RangeError: no such thing',
      exception: {
        name: 'RangeError',
        args: ['no such thing'],
        stacks: ['RangeError: no such thing\n'],
        executor: 'upper',
      },
    };
  }
  const data = (body.data ?? []).map((d: Json) => ({ ...d, text: String(d.text ?? '').toUpperCase() }));
  return { header, parameters: body.parameters ?? {}, routes, data };
}

/** A stand-in for the gateway's HTTP door (fastify) that records raw bodies and headers. */
export async function startFakeHttpDoor(tls?: { cert: string; key: string }) {
  const bodies: string[] = [];
  const headers: IncomingHttpHeaders[] = [];
  let unavailable = 0;
  const app = (tls
    ? Fastify({ logger: false, forceCloseConnections: true, https: { cert: tls.cert, key: tls.key } })
    : Fastify({ logger: false, forceCloseConnections: true })) as unknown as FastifyInstance;
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post('/post', async (req, reply) => {
    const raw = req.body as string;
    bodies.push(raw);
    headers.push(req.headers);
    const body = JSON.parse(raw) as Json;
    if (body.execEndpoint === '/unavailable' && unavailable-- > 0) {
      return reply
        .code(503)
        .send({ detail: "deployment 'upper' is unavailable: 127.0.0.1:1", code: 'Unavailable' });
    }
    if (body.execEndpoint === '/unavailable-always') {
      return reply
        .code(503)
        .send({ detail: "deployment 'upper' is unavailable: 127.0.0.1:1", code: 'Unavailable' });
    }
    return reply.code(200).send(answer(body));
  });
  app.get('/dry_run', async () => ({ code: 0, description: '' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    port: (app.server.address() as AddressInfo).port,
    bodies,
    headers,
    /** The next `n` posts to `/unavailable` get HTTP 503. */
    failNext(n: number) {
      unavailable = n;
    },
    close: () => app.close(),
  };
}

/** A stand-in for the gateway's WebSocket door (ws) that records raw frames; answers in reverse order per burst. */
export async function startFakeWebSocketDoor(tls?: { cert: string; key: string }) {
  const frames: { protocol: string; data: Buffer; binary: boolean }[] = [];
  const upgrades: IncomingHttpHeaders[] = [];
  const server: Server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }) : createServer();
  server.on('tlsClientError', () => {});
  const wss = new WebSocketServer({
    server,
    path: '/',
    handleProtocols: (protocols) =>
      protocols.has('json') ? 'json' : protocols.has('bytes') ? 'bytes' : false,
  });
  wss.on('headers', (_h, req) => upgrades.push(req.headers));
  wss.on('connection', (ws: WebSocket) => {
    ws.on('error', () => {});
    const binary = ws.protocol === 'bytes';
    let held: (string | Uint8Array)[] = [];
    let ended = false;
    const flush = () => {
      // Out of order on purpose: the client must match responses by request id.
      for (const f of held.reverse()) ws.send(f, { binary });
      held = [];
      if (ended) ws.close(1000, 'input ended');
    };
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      frames.push({ protocol: ws.protocol, data: Buffer.from(data), binary: isBinary });
      if (binary) {
        if (data.length === 1 && data[0] === 0) {
          ended = true;
          return void setTimeout(flush, 5);
        }
        const req = fromBinary(DataRequestProtoSchema, new Uint8Array(data));
        const docs = req.data?.documents;
        const list =
          docs?.case === 'docs'
            ? docs.value
            : docs?.case === 'docsBytes'
              ? fromBinary(DocumentArrayProtoSchema, docs.value)
              : undefined;
        for (const d of list?.docs ?? [])
          if (d.content.case === 'text') d.content.value = d.content.value.toUpperCase();
        if (list && req.data) req.data.documents = { case: 'docs', value: list };
        held.push(toBinary(DataRequestProtoSchema, req));
      } else {
        const body = JSON.parse(data.toString('utf8')) as Json;
        if (Object.keys(body).length === 0) {
          ended = true;
          return void setTimeout(flush, 5);
        }
        if (body.execEndpoint === '/unavailable')
          return ws.close(1011, "Unavailable: deployment 'upper' is unavailable");
        held.push(JSON.stringify(answer(body)));
      }
      if (held.length >= 3) flush();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    frames,
    upgrades,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.close(() => r());
      }),
  };
}

/** A port on 127.0.0.1 where nothing listens (fetch refuses "bad ports" such as 1). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
