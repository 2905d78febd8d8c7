import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Code, ConnectError } from '@connectrpc/connect';
import fastifyCors from '@fastify/cors';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { create } from '@bufbuild/protobuf';
import { errorText, isErrorResponse } from '@weft/core';
import { Document } from '@weft/docarray';
import { type SingleDocumentRequestProto, SingleDocumentRequestProtoSchema } from '@weft/proto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { dryRun, flowEndpoints, gatewayInfo } from './grpc-door.js';
import type { GatewayMetrics } from './metrics.js';
import {
  httpStatusOf,
  type RequestBody,
  requestBodySchema,
  requestFromJson,
  responseToJson,
} from './request-json.js';
import type { Topology } from './topology.js';
import { type GatewayLimits, OverloadedError } from './limits.js';
import { type AccessCheck, type ServerTls, serverTlsOptions } from './access.js';

/** Options shared by the HTTP and WebSocket doors. */
export interface WebDoorOptions {
  topology: Topology;
  metrics: GatewayMetrics;
  port: number;
  host: string;
  tls: ServerTls | undefined;
  prefetch: number | undefined;
  bodyLimit: number;
  logger: Logger;
  limits: Required<GatewayLimits>;
  /** Bearer-token check; undefined = open. */
  access?: AccessCheck;
}

/** Options of the HTTP door. */
export interface HttpDoorOptions extends WebDoorOptions {
  cors: boolean;
  exposeEndpoints: boolean;
  noDebugEndpoints: boolean;
  noCrudEndpoints: boolean;
}

/** A listening fastify door. */
export interface WebDoor {
  port: number;
  close(graceMs: number): Promise<void>;
}

/** Creates a fastify instance with Weft's limits (HTTP/1.1, optional TLS). */
export function createFastify(options: WebDoorOptions): FastifyInstance {
  const { limits } = options;
  // Node checks header/request timeouts only every connectionsCheckingInterval (30 s by default),
  // which is fixed when the server is created: hence a server factory.
  const serverOptions = {
    connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: Math.min(72_000, limits.idleTimeoutMs),
  };
  const tls = options.tls;
  const base = {
    bodyLimit: options.bodyLimit,
    logger: false,
    connectionTimeout: 0,
    // A client must finish sending its request within requestTimeoutMs (slow-loris guard); answers may take longer.
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: serverOptions.keepAliveTimeout,
    // On close, idle keep-alive connections go at once; busy ones finish (up to graceMs).
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    serverFactory: (handler: http.RequestListener) => {
      const server = tls
        ? https.createServer({ ...serverOptions, ...serverTlsOptions(tls, limits.headersTimeoutMs) }, handler)
        : http.createServer(serverOptions, handler);
      server.maxConnections = limits.maxConnections;
      capRequestsPerConnection(server, limits.maxRequestsPerConnection);
      return server;
    },
  } as const;
  const app = Fastify(base) as unknown as FastifyInstance;
  const access = options.access;
  if (access) {
    app.addHook('onRequest', async (req, reply) => {
      // A WebSocket upgrade is let through: the WebSocket door refuses it with close 1008.
      if (req.headers.upgrade?.toLowerCase() === 'websocket') return;
      if (access.publicHealth && req.method === 'GET' && req.url === '/') return;
      const why = await access.refuse(
        req.headers.authorization,
        'http',
        req.socket.remoteAddress,
        req.socket,
      );
      if (why === undefined) return;
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ detail: `unauthenticated: ${why}`, code: 'Unauthenticated' });
    });
  }
  // While closing, answers say `connection: close`, so keep-alive connections end with their last response.
  let draining = false;
  drainers.set(app, () => {
    draining = true;
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    if (draining) reply.header('connection', 'close');
    return payload;
  });
  return app;
}

const drainers = new WeakMap<FastifyInstance, () => void>();

/**
 * At most `max` requests per keep-alive connection: node marks the last answer `connection: close`
 * (`maxRequestsPerSocket`, 503 for requests pipelined past it) but leaves the socket open until the
 * keep-alive timeout; here it is closed once that answer is written.
 */
function capRequestsPerConnection(server: http.Server, max: number): void {
  server.maxRequestsPerSocket = max;
  const served = new WeakMap<object, number>();
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const n = (served.get(req.socket) ?? 0) + 1;
    served.set(req.socket, n);
    if (n >= max) res.once('finish', () => req.socket.destroySoon());
  });
}

/** Starts listening and returns the door. */
export async function listen(app: FastifyInstance, options: WebDoorOptions): Promise<WebDoor> {
  await app.listen({ port: options.port, host: options.host });
  const port = (app.server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    port,
    close(graceMs: number) {
      closing ??= (async () => {
        drainers.get(app)?.();
        const timer = setTimeout(() => app.server.closeAllConnections?.(), graceMs);
        timer.unref();
        await app.close();
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}

function errorBody(err: unknown) {
  const ce = ConnectError.from(err);
  // Too busy (429, retry later) is not too large (413): both are RESOURCE_EXHAUSTED on gRPC.
  const status = err instanceof OverloadedError ? 429 : httpStatusOf(ce.code);
  return { status, body: { detail: ce.rawMessage, code: Code[ce.code] } };
}

const responseSchema = {
  200: {
    description:
      'The response: header (request_id, exec_endpoint, status when an executor failed), parameters, routes, data',
    type: 'object',
    additionalProperties: true,
  },
  400: {
    description: 'The body is not valid JSON or does not have the request shape',
    type: 'object',
    additionalProperties: true,
  },
  413: { description: 'The body is larger than bodyLimit', type: 'object', additionalProperties: true },
  429: {
    description: 'The gateway has limits.maxInFlight requests in flight; retry later with backoff',
    type: 'object',
    additionalProperties: true,
  },
  503: { description: 'A deployment is unavailable', type: 'object', additionalProperties: true },
  504: {
    description: 'A deployment did not answer within timeoutSend',
    type: 'object',
    additionalProperties: true,
  },
} as const;

/** Starts the HTTP door: Jina's REST routes, OpenAPI at /openapi.json, Swagger UI at /docs. */
export async function startHttpDoor(options: HttpDoorOptions): Promise<WebDoor> {
  const { topology, metrics } = options;
  const app = createFastify(options);
  app.setErrorHandler(
    (err: Error & { statusCode?: number; validation?: unknown; code?: string }, _req, reply) => {
      if (err instanceof ConnectError) {
        const e = errorBody(err);
        return reply.code(e.status).send(e.body);
      }
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
      return reply.code(status).send({ detail: err.message, code: err.code ?? 'INTERNAL' });
    },
  );
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({
      detail: `no route ${req.method} ${req.url.split('?')[0]}; see /docs for the routes`,
      code: 'NOT_FOUND',
    }),
  );
  if (options.cors) await app.register(fastifyCors, { origin: true });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Weft Gateway',
        description: "The HTTP door of a Weft Flow (Jina 3's REST interface).",
        version: '0.1.0',
      },
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const handle = async (req: FastifyRequest, reply: FastifyReply, endpoint?: string) => {
    const bytesIn = Number(req.headers['content-length'] ?? 0);
    const done = metrics.begin('http', bytesIn);
    const ac = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) ac.abort(new Error('the HTTP client went away'));
    };
    reply.raw.once('close', onClose);
    try {
      const dr = requestFromJson(req.body ?? {}, endpoint);
      const res = await topology.process(dr, ac.signal);
      const text = JSON.stringify(responseToJson(res));
      done(isErrorResponse(res) ? 'error' : 'ok', Buffer.byteLength(text));
      return reply.code(200).type('application/json').send(text);
    } catch (err) {
      done('failed');
      const e = errorBody(err);
      if (e.status >= 500) options.logger.warn({ err: errorText(err) }, 'HTTP request failed');
      return reply.code(e.status).send(e.body);
    } finally {
      reply.raw.off('close', onClose);
    }
  };

  const bodySchema = { body: requestBodySchema, response: responseSchema };
  app.get('/', { schema: { summary: 'Liveness: answers {}' } }, async () => ({}));
  if (!options.noDebugEndpoints) {
    app.get('/status', { schema: { summary: 'Versions and environment of the gateway' } }, async () =>
      gatewayInfo(),
    );
    app.get(
      '/dry_run',
      { schema: { summary: 'Checks that every deployment answers (code 0)' } },
      async () => {
        const s = await dryRun(topology);
        return { code: s.code, description: s.description };
      },
    );
  }
  app.post<{ Body: RequestBody }>(
    '/post',
    { schema: { summary: 'Send documents to an endpoint (execEndpoint)', ...bodySchema } },
    (req, reply) => handle(req, reply),
  );
  if (!options.noCrudEndpoints) {
    for (const [method, path] of [
      ['POST', '/index'],
      ['POST', '/search'],
      ['PUT', '/update'],
      ['DELETE', '/delete'],
    ] as const) {
      app.route<{ Body: RequestBody }>({
        method,
        url: path,
        schema: { summary: `Send documents to ${path}`, ...bodySchema },
        handler: (req, reply) => handle(req, reply, path),
      });
    }
  }
  app.post<{ Body: RequestBody }>(
    '/stream',
    {
      schema: {
        summary:
          'Stream a streaming endpoint: one document in, Server-Sent Events out (event: update per document, then end)',
        body: requestBodySchema,
      },
    },
    async (req, reply) => {
      const names = topology.deployments;
      if (names.length !== 1) {
        return reply.code(400).send({
          detail: `/stream needs a Flow with exactly one deployment; this Flow has ${names.length}`,
          code: 'FailedPrecondition',
        });
      }
      let single: SingleDocumentRequestProto;
      try {
        const dr = requestFromJson(req.body ?? {});
        const doc = dr.data?.documents.case === 'docs' ? dr.data.documents.value.docs : [];
        if (doc.length !== 1)
          throw new ConnectError(
            `'data' must hold exactly one document, got ${doc.length}`,
            Code.InvalidArgument,
          );
        single = create(SingleDocumentRequestProtoSchema, {
          header: dr.header,
          parameters: dr.parameters,
          routes: [],
          document: doc[0],
        });
      } catch (err) {
        const e = errorBody(err);
        return reply.code(e.status).send(e.body);
      }
      const ac = new AbortController();
      reply.raw.once('close', () => ac.abort(new Error('the HTTP client went away')));
      reply.hijack();
      const headers: Record<string, string> = {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      };
      const origin = req.headers.origin;
      if (options.cors && origin) headers['access-control-allow-origin'] = origin;
      reply.raw.writeHead(200, headers);
      const done = metrics.begin('http');
      try {
        for await (const part of topology.pool(names[0]!)!.streamDoc(single, { signal: ac.signal })) {
          const d = part.document ? Document.fromProto(part.document).toJSON() : {};
          reply.raw.write(`event: update\ndata: ${JSON.stringify(d)}\n\n`);
        }
        reply.raw.write('event: end\ndata: {}\n\n');
        done('ok');
      } catch (err) {
        const ce = ConnectError.from(err);
        reply.raw.write(
          `event: error\ndata: ${JSON.stringify({ detail: ce.rawMessage, code: Code[ce.code] })}\n\n`,
        );
        done('failed');
      }
      reply.raw.end();
    },
  );
  if (options.exposeEndpoints) {
    const taken = new Set(['/', '/post', '/stream', '/docs', '/openapi.json']);
    if (!options.noDebugEndpoints) for (const p of ['/status', '/dry_run']) taken.add(p);
    if (!options.noCrudEndpoints) for (const p of ['/index', '/search', '/update', '/delete']) taken.add(p);
    for (const endpoint of await flowEndpoints(topology)) {
      if (
        taken.has(endpoint) ||
        !endpoint.startsWith('/') ||
        endpoint === '/default' ||
        endpoint.includes(':')
      )
        continue;
      taken.add(endpoint);
      app.post<{ Body: RequestBody }>(
        endpoint,
        { schema: { summary: `Send documents to the executor endpoint ${endpoint}`, ...bodySchema } },
        (req, reply) => handle(req, reply, endpoint),
      );
    }
  }
  return listen(app, options);
}
