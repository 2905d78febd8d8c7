import type { JsonObject } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { createDataRequest, requestDocs } from '@weft/core';
import type { DataRequestProto, StatusProto } from '@weft/proto';
import { docsFromJson, docsToJson, JsonFormError } from './json-form.js';

/** The JSON body of `POST /post` and of a WebSocket `json` frame (snake_case keys accepted). */
export interface RequestBody {
  data?: unknown;
  execEndpoint?: string;
  exec_endpoint?: string;
  parameters?: JsonObject;
  targetExecutor?: string;
  target_executor?: string;
  requestId?: string;
  request_id?: string;
}

/** JSON schema of {@link RequestBody} (used for validation and OpenAPI). */
export const requestBodySchema = {
  type: 'object',
  properties: {
    data: {
      description: 'Documents (JSON form) as a list, or {docs: [...]}',
      anyOf: [{ type: 'array', items: { type: 'object' } }, { type: 'object' }, { type: 'null' }],
    },
    execEndpoint: { type: 'string', description: 'Endpoint to call, e.g. /index (POST /post only)' },
    exec_endpoint: { type: 'string' },
    parameters: { type: 'object', description: 'Parameters for the executors; `name__key` targets one' },
    targetExecutor: { type: 'string', description: 'Regular expression selecting deployments' },
    target_executor: { type: 'string' },
    requestId: { type: 'string' },
    request_id: { type: 'string' },
  },
} as const;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function optString(body: Record<string, unknown>, a: string, b: string): string | undefined {
  const v = body[a] ?? body[b];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ConnectError(`'${a}' must be a string`, Code.InvalidArgument);
  return v;
}

/**
 * Deepest nesting of objects and arrays a JSON request may have (the body itself is level 1).
 * Every level of `tags` or `parameters` costs up to three protobuf message levels, and protobuf
 * decoders (protobuf-es, Jina's Python) stop at 100: deeper input would fail inside the Flow.
 */
export const MAX_JSON_DEPTH = 32;

/** Nesting depth of a parsed JSON value, without recursion (so any depth is safe to measure). */
function jsonDepth(value: unknown, stopAt: number): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d > max) max = d;
    if (max > stopAt) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, d + 1]);
    }
  }
  return max;
}

/** Builds a DataRequest from a JSON body; throws INVALID_ARGUMENT naming the bad field. */
export function requestFromJson(body: unknown, endpoint?: string): DataRequestProto {
  if (!isObject(body)) throw new ConnectError('the request body must be a JSON object', Code.InvalidArgument);
  if (jsonDepth(body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH)
    throw new ConnectError(
      `the request nests objects/arrays more than ${MAX_JSON_DEPTH} levels deep; flatten tags and parameters`,
      Code.InvalidArgument,
    );
  const parameters = body.parameters ?? {};
  if (!isObject(parameters)) throw new ConnectError("'parameters' must be an object", Code.InvalidArgument);
  const ep = endpoint ?? optString(body, 'execEndpoint', 'exec_endpoint') ?? '/';
  const targetExecutor = optString(body, 'targetExecutor', 'target_executor');
  const requestId = optString(body, 'requestId', 'request_id');
  try {
    const docs = body.data === undefined || body.data === null ? undefined : docsFromJson(body.data);
    return createDataRequest({
      endpoint: ep,
      docs,
      parameters: parameters as JsonObject,
      targetExecutor,
      requestId: requestId || undefined,
    });
  } catch (err) {
    if (err instanceof JsonFormError) throw new ConnectError(err.message, Code.InvalidArgument);
    throw new ConnectError(`invalid request: ${(err as Error).message}`, Code.InvalidArgument);
  }
}

function statusToJson(s: StatusProto): JsonObject {
  const o: JsonObject = { code: s.code, description: s.description };
  if (s.exception)
    o.exception = {
      name: s.exception.name,
      args: s.exception.args,
      stacks: s.exception.stacks,
      executor: s.exception.executor,
    };
  return o;
}

/** The JSON form of a response: `{header, parameters, routes, data}`. */
export function responseToJson(res: DataRequestProto): JsonObject {
  const h = res.header;
  const header: JsonObject = {
    request_id: h?.requestId ?? '',
    exec_endpoint: h?.execEndpoint ?? '',
    target_executor: h?.targetExecutor ?? '',
  };
  if (h?.status) header.status = statusToJson(h.status);
  return {
    header,
    parameters: (res.parameters ?? {}) as JsonObject,
    routes: res.routes.map((r) => {
      const o: JsonObject = { executor: r.executor };
      if (r.startTime) o.start_time = timestampDate(r.startTime).toISOString();
      if (r.endTime) o.end_time = timestampDate(r.endTime).toISOString();
      if (r.status) o.status = statusToJson(r.status);
      return o;
    }),
    data: docsToJson(requestDocs(res)) as unknown as JsonObject[],
  };
}

/** HTTP status of a transport error code: 503 UNAVAILABLE, 504 DEADLINE_EXCEEDED, 400/413 bad input, else 500. */
export function httpStatusOf(code: Code): number {
  switch (code) {
    case Code.Unavailable:
      return 503;
    case Code.DeadlineExceeded:
      return 504;
    case Code.InvalidArgument:
      return 400;
    case Code.ResourceExhausted:
      return 413;
    case Code.FailedPrecondition:
      return 400;
    default:
      return 500;
  }
}
