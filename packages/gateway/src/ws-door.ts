import { setMaxListeners } from 'node:events';
import { Code, ConnectError } from '@connectrpc/connect';
import fastifyWebsocket from '@fastify/websocket';
import { isErrorResponse } from '@weft/core';
import { decodeDataRequest, encodeDataRequest, type LeanMessage } from '@weft/core/grpc';
import type { DataRequestProto } from '@weft/proto';
import type { RawData, WebSocket } from 'ws';
import { createFastify, listen, type WebDoor, type WebDoorOptions } from './http-door.js';
import { requestFromJson, responseToJson } from './request-json.js';
import { WS_CLOSE } from './ws-close.js';
import type { FastifyRequest } from 'fastify';

function reason(text: string): string {
  // Close reasons are limited to 123 bytes.
  const b = Buffer.from(text);
  return b.byteLength <= 123
    ? text
    : `${b
        .subarray(0, 120)
        .toString('utf8')
        .replace(/\uFFFD$/, '')}...`;
}

/** One frame's bytes from a message given whole or in parts. */
function concatMessage(m: LeanMessage): Uint8Array {
  return m instanceof Uint8Array ? m : Buffer.concat(m);
}

/** Starts the WebSocket door: path `/`, subprotocols `json` (default) and `bytes`. */
export async function startWebSocketDoor(options: WebDoorOptions): Promise<WebDoor> {
  const { topology, metrics } = options;
  const prefetch = options.prefetch ?? 1000;
  const app = createFastify(options);
  await app.register(fastifyWebsocket, {
    options: {
      maxPayload: options.bodyLimit,
      handleProtocols: (protocols: Set<string>) =>
        protocols.has('json') ? 'json' : protocols.has('bytes') ? 'bytes' : false,
    },
    errorHandler: (_err, socket) => socket.terminate(),
  });
  // Requests in flight across all connections, so that closing the door can wait for them.
  let total = 0;
  let draining = false;
  let idle: (() => void) | undefined;
  // Open WebSockets, capped by limits.maxWebSocketConnections apart from the door's maxConnections.
  let open = 0;
  const maxOpen = options.limits.maxWebSocketConnections;
  app.get('/', { websocket: true }, (socket: WebSocket, upgrade: FastifyRequest) => {
    if (open >= maxOpen) {
      socket.on('error', () => {});
      socket.close(
        WS_CLOSE.tryAgainLater,
        `the gateway has ${maxOpen} WebSockets open (limits.maxWebSocketConnections); retry later`,
      );
      // Do not wait 30 s for a flooding client's closing handshake: its slot is needed.
      setTimeout(() => socket.terminate(), 1000).unref();
      return;
    }
    open++;
    socket.once('close', () => open--);
    const binary = socket.protocol === 'bytes';
    const ac = new AbortController();
    // Every request in flight on this connection listens to the one signal.
    setMaxListeners(prefetch + 16, ac.signal);
    let inFlight = 0;
    let inputDone = false;
    let closed = false;
    const close = (code: number, text = '') => {
      if (closed) return;
      closed = true;
      ac.abort(new Error('the WebSocket connection closed'));
      try {
        socket.close(code, reason(text));
      } catch {
        socket.terminate();
      }
    };
    socket.on('error', (err: Error & { code?: string }) => {
      // ws reports oversized and malformed frames here, then closes with the matching code.
      const tooBig = err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
      close(tooBig ? WS_CLOSE.tooBig : WS_CLOSE.invalidPayload, err.message);
    });
    socket.on('close', () => {
      closed = true;
      ac.abort(new Error('the WebSocket connection closed'));
    });
    const maybeEnd = () => {
      if (inputDone && inFlight === 0) close(WS_CLOSE.normal, 'input ended');
    };
    // An idle connection (nothing in flight, no frame for idleTimeoutMs) is closed with 1001.
    const idleMs = options.limits.idleTimeoutMs;
    let idleTimer: NodeJS.Timeout | undefined;
    const armIdle = () => {
      clearTimeout(idleTimer);
      if (closed) return;
      idleTimer = setTimeout(() => {
        if (inFlight === 0) close(WS_CLOSE.goingAway, `idle for ${idleMs} ms (limits.idleTimeoutMs)`);
        else armIdle();
      }, idleMs);
      idleTimer.unref();
    };
    armIdle();
    socket.once('close', () => clearTimeout(idleTimer));
    socket.on('message', (data: RawData, isBinary: boolean) => {
      if (closed) return;
      armIdle();
      if (draining) return close(1001, 'the gateway is shutting down');
      const buf = Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.isBuffer(data)
          ? data
          : Buffer.from(data as ArrayBuffer);
      let req: DataRequestProto;
      try {
        if (binary) {
          if (!isBinary)
            throw new ConnectError('the bytes subprotocol takes binary frames only', Code.InvalidArgument);
          if (buf.byteLength === 1 && buf[0] === 0) {
            inputDone = true;
            return maybeEnd();
          }
          // Documents stay encoded unless the Flow needs them (see decodeDataRequest).
          req = decodeDataRequest(buf);
        } else {
          let body: unknown;
          try {
            body = JSON.parse(buf.toString('utf8'));
          } catch (err) {
            throw new ConnectError(
              `frame is not valid JSON: ${(err as Error).message}`,
              Code.InvalidArgument,
            );
          }
          if (body && typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0) {
            inputDone = true;
            return maybeEnd();
          }
          req = requestFromJson(body);
        }
      } catch (err) {
        return close(WS_CLOSE.invalidPayload, ConnectError.from(err).rawMessage);
      }
      inFlight++;
      total++;
      if (inFlight >= prefetch) socket.pause();
      const done = metrics.begin('websocket', buf.byteLength);
      // A request counts against prefetch until its response is written to the socket, so a
      // client that does not read cannot make the gateway buffer without bound.
      const release = () => {
        inFlight--;
        total--;
        if (total === 0) idle?.();
        if (inFlight < prefetch && !closed) socket.resume();
        maybeEnd();
      };
      topology.process(req, ac.signal).then(
        (res) => {
          if (closed) {
            done('ok');
            return release();
          }
          const out = binary ? concatMessage(encodeDataRequest(res)) : JSON.stringify(responseToJson(res));
          done(
            isErrorResponse(res) ? 'error' : 'ok',
            typeof out === 'string' ? Buffer.byteLength(out) : out.byteLength,
          );
          socket.send(out, { binary }, () => release());
        },
        (err) => {
          done('failed');
          const ce = ConnectError.from(err);
          const bad = ce.code === Code.InvalidArgument;
          const code = bad
            ? WS_CLOSE.invalidPayload
            : ce.code === Code.ResourceExhausted
              ? WS_CLOSE.tryAgainLater
              : WS_CLOSE.internal;
          close(code, `${Code[ce.code]}: ${ce.rawMessage}`);
          release();
        },
      );
    });
    const access = options.access;
    if (access) {
      // No frame is read until the credentials (header, or ?access_token= for browsers) pass.
      socket.pause();
      const query = new URL(upgrade.url, 'http://gateway').searchParams.get('access_token');
      const authorization = upgrade.headers.authorization ?? (query ? `Bearer ${query}` : undefined);
      void access
        .refuse(authorization, 'websocket', upgrade.socket.remoteAddress, upgrade.socket)
        .then((why) => {
          socket.resume(); // also to read the client's answer to our close frame
          if (why !== undefined) close(WS_CLOSE.policyViolation, `Unauthenticated: ${why}`);
        });
    }
  });
  const door = await listen(app, options);
  return {
    port: door.port,
    async close(graceMs: number) {
      // Answer what is in flight (up to graceMs) before the plugin closes every connection.
      draining = true;
      if (total > 0) {
        await Promise.race([
          new Promise<void>((r) => {
            idle = r;
          }),
          new Promise((r) => setTimeout(r, graceMs).unref()),
        ]);
      }
      await door.close(graceMs);
    },
  };
}
