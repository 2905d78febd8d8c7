import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createDataRequest, requestDocs } from '@weft/core';
import { createWeftTransport } from '@weft/core/grpc';
import { type DocumentArray, Tensor } from '@weft/docarray';
import { Executor, type RequestContext, requests } from '@weft/executor-runtime';
import { JinaSingleDataRequestRPC } from '@weft/proto';
import { Agent, fetch } from 'undici';
import WebSocket from 'ws';
import { docsFromJson, docsToJson } from '../json-form.js';

/** A request as the scenarios describe it, independent of the door. */
export interface DoorRequest {
  endpoint?: string;
  docs?: DocumentArray;
  parameters?: JsonObject;
  targetExecutor?: string;
}

/** A response as the scenarios check it, independent of the door. */
export interface DoorResponse {
  docs: DocumentArray;
  status?: { code: number; description: string; executor?: string };
  routes: { executor: string; failed: boolean }[];
  parameters: JsonObject;
}

/** A failure at the door: its transport code plus what the door said (HTTP status / WebSocket close code). */
export class DoorFailure extends Error {
  constructor(
    readonly code: Code,
    readonly detail: { httpStatus?: number; wsClose?: number },
    message: string,
  ) {
    super(message);
  }
}

export type DoorName = 'grpc' | 'http' | 'websocket';

/** A client for one door; `close()` releases its connections. */
export interface DoorClient {
  send(req: DoorRequest): Promise<DoorResponse>;
  close(): Promise<void>;
}

export function doorClient(door: DoorName, port: number, tls: boolean): DoorClient {
  if (door === 'grpc') {
    const t = createWeftTransport(`${tls ? 'https' : 'http'}://127.0.0.1:${port}`, {
      insecureSkipVerify: true,
    });
    const c = createClient(JinaSingleDataRequestRPC, t.transport);
    return {
      async send(r) {
        try {
          const res = await c.process_single_data(createDataRequest(r), { timeoutMs: 20_000 });
          const st = res.header?.status;
          return {
            docs: requestDocs(res),
            status: st
              ? { code: st.code, description: st.description, executor: st.exception?.executor }
              : undefined,
            routes: res.routes.map((x) => ({
              executor: x.executor,
              failed: !!x.status && x.status.code !== 0,
            })),
            parameters: (res.parameters ?? {}) as JsonObject,
          };
        } catch (err) {
          const ce = ConnectError.from(err);
          throw new DoorFailure(ce.code, {}, ce.rawMessage);
        }
      },
      async close() {
        t.close();
      },
    };
  }
  const body = (r: DoorRequest) => ({
    execEndpoint: r.endpoint ?? '/',
    data: r.docs ? docsToJson(r.docs) : undefined,
    parameters: r.parameters,
    targetExecutor: r.targetExecutor,
  });
  const fromJson = (j: any): DoorResponse => ({
    docs: docsFromJson(j.data ?? []),
    status: j.header.status
      ? {
          code: j.header.status.code,
          description: j.header.status.description,
          executor: j.header.status.exception?.executor,
        }
      : undefined,
    routes: j.routes.map((x: any) => ({ executor: x.executor, failed: !!x.status && x.status.code !== 0 })),
    parameters: j.parameters,
  });
  if (door === 'http') {
    const agent = new Agent({ connect: { rejectUnauthorized: false }, connections: 64 });
    return {
      async send(r) {
        const res = await fetch(`${tls ? 'https' : 'http'}://127.0.0.1:${port}/post`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body(r)),
          dispatcher: agent,
          signal: AbortSignal.timeout(20_000),
        });
        const j: any = await res.json();
        if (res.status !== 200) {
          const code =
            res.status === 503
              ? Code.Unavailable
              : res.status === 504
                ? Code.DeadlineExceeded
                : Code.Internal;
          throw new DoorFailure(code, { httpStatus: res.status }, j.detail);
        }
        return fromJson(j);
      },
      close: () => agent.close(),
    };
  }
  return {
    send(r) {
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(`${tls ? 'wss' : 'ws'}://127.0.0.1:${port}/`, 'json', {
          rejectUnauthorized: false,
        });
        const timer = setTimeout(() => {
          ws.terminate();
          reject(new Error('websocket test client: no answer in 20 s'));
        }, 20_000);
        let answered = false;
        ws.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        ws.on('open', () => ws.send(JSON.stringify(body(r))));
        ws.on('message', (data) => {
          answered = true;
          clearTimeout(timer);
          resolve(fromJson(JSON.parse(String(data))));
          ws.close(1000);
        });
        ws.on('close', (code, reason) => {
          clearTimeout(timer);
          if (!answered) {
            const text = String(reason);
            const c = text.startsWith('DeadlineExceeded')
              ? Code.DeadlineExceeded
              : text.startsWith('Unavailable')
                ? Code.Unavailable
                : Code.Internal;
            reject(new DoorFailure(c, { wsClose: code }, text));
          }
        });
      });
    },
    async close() {},
  };
}

/** A self-signed certificate for 127.0.0.1 in a temporary folder (made with the openssl CLI). */
export function selfSignedCert(): { certFile: string; keyFile: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'weft-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Appends `suffix` to every text and records the runtime in `tags[suffix]`. */
export function appender(suffix: string) {
  return class extends Executor {
    @requests()
    add(docs: DocumentArray) {
      for (const d of docs) {
        d.text += suffix;
        d.tags = { ...d.tags, [suffix]: this.runtimeArgs.name };
      }
    }
  };
}

/** Binds `/index` only; appends 'I'. */
export class OnlyIndex extends Executor {
  @requests({ on: '/index' })
  index(docs: DocumentArray) {
    for (const d of docs) d.text += 'I';
  }
}

export class Failing extends Executor {
  @requests()
  fail(): never {
    throw new Error('middle failed');
  }
}

/** Sleeps `parameters.sleepMs` (default 1000) before answering. */
export class Slow extends Executor {
  @requests()
  async slow(docs: DocumentArray, ctx: RequestContext) {
    const ms = Number(ctx.parameters.sleepMs ?? 1000);
    await new Promise((r) => setTimeout(r, ms));
    for (const d of docs) d.text += 'S';
  }
}

/** Join branch 1: sets tags, appends doc `b1-new`. */
export class Branch1 extends Executor {
  @requests()
  run(docs: DocumentArray) {
    for (const d of docs) d.tags = { b1: true };
    docs.push({ id: 'b1-new', text: 'from b1' });
  }
}

/** Join branch 2: sets an embedding, appends doc `b2-new`. */
export class Branch2 extends Executor {
  @requests()
  run(docs: DocumentArray) {
    for (const d of docs) d.embedding = Tensor.from([1, 2]);
    docs.push({ id: 'b2-new', text: 'from b2' });
  }
}

/** A join without reduce: concatenates its docsMatrix, prefixing each text with the part index. */
export class Matrix extends Executor {
  @requests()
  run(docs: DocumentArray, ctx: RequestContext) {
    const out = docs.constructor as typeof DocumentArray;
    const result = new out();
    (ctx.docsMatrix ?? [docs]).forEach((part, i) => {
      for (const d of part) {
        d.text = `${i}:${d.text}`;
        result.pushRaw([d]);
      }
    });
    return result;
  }
}

/** Returns the parameters it saw (stored in `__results__`). */
export class ParamEcho extends Executor {
  @requests()
  run(_docs: DocumentArray, ctx: RequestContext) {
    const { __results__: _r, ...seen } = ctx.parameters;
    return { seen };
  }
}

/** A shard: appends a doc `shard-<id>` and tags every doc with its shard id. */
export class Shard extends Executor {
  @requests()
  run(docs: DocumentArray) {
    const id = this.runtimeArgs.shardId;
    for (const d of docs) d.tags = { ...d.tags, [`s${id}`]: true };
    docs.push({ id: `shard-${id}`, text: `shard ${id}` });
  }
}

/** usesAfter: answers one doc saying how many parts it got. */
export class CountParts extends Executor {
  @requests()
  run(docs: DocumentArray, ctx: RequestContext) {
    const parts = ctx.docsMatrix?.length ?? 1;
    const total = (ctx.docsMatrix ?? [docs]).reduce((n, p) => n + p.length, 0);
    const out = new (docs.constructor as typeof DocumentArray)();
    out.push({ id: 'summary', text: `parts=${parts} docs=${total}` });
    return out;
  }
}

/** Records the ids of every request it sees, after a delay (for floating deployments). */
export const floatingSeen: string[] = [];
export class Recorder extends Executor {
  @requests()
  async run(docs: DocumentArray) {
    // Long enough that a response waiting for it could not pass for one that did not, under load.
    await new Promise((r) => setTimeout(r, 1500));
    for (const d of docs) floatingSeen.push(d.id);
    for (const d of docs) d.text += 'FLOAT';
  }
}
