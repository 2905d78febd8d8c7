import { create, type JsonObject } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  type DataRequestProto,
  DataRequestProtoSchema,
  type RouteProto,
  RouteProtoSchema,
  type StatusProto,
  StatusProtoSchema,
} from '@weft/proto';
import { docsFromJson, docsToJson, JsonFormError } from './json-form.js';
import { docsOf, rememberDocs } from './response.js';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The JSON body of `POST /post` and of a WebSocket `json` frame for a request (semantics.md,
 * "HTTP door"): `{execEndpoint, data, parameters, targetExecutor?, requestId}`.
 */
export function requestToJson(req: DataRequestProto): JsonObject {
  const body: JsonObject = {
    execEndpoint: req.header?.execEndpoint || '/',
    data: docsToJson(docsOf(req)),
    parameters: (req.parameters ?? {}) as JsonObject,
  };
  if (req.header?.targetExecutor) body.targetExecutor = req.header.targetExecutor;
  if (req.header?.requestId) body.requestId = req.header.requestId;
  return body;
}

function str(o: Record<string, unknown>, a: string, b?: string): string {
  const v = o[a] ?? (b ? o[b] : undefined);
  return typeof v === 'string' ? v : '';
}

function statusFromJson(v: unknown): StatusProto | undefined {
  if (!isObject(v)) return undefined;
  const ex = isObject(v.exception) ? v.exception : undefined;
  const list = (x: unknown) => (Array.isArray(x) ? x.map(String) : []);
  return create(StatusProtoSchema, {
    code: typeof v.code === 'number' ? v.code : v.code === 'ERROR' ? 1 : 0,
    description: typeof v.description === 'string' ? v.description : '',
    exception: ex
      ? {
          name: str(ex, 'name'),
          args: list(ex.args),
          stacks: list(ex.stacks),
          executor: str(ex, 'executor'),
        }
      : undefined,
  });
}

function time(v: unknown) {
  if (typeof v !== 'string') return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : timestampFromDate(d);
}

function routeFromJson(v: unknown): RouteProto {
  const o = isObject(v) ? v : {};
  return create(RouteProtoSchema, {
    executor: str(o, 'executor'),
    startTime: time(o.start_time ?? o.startTime),
    endTime: time(o.end_time ?? o.endTime),
    status: statusFromJson(o.status),
  });
}

/** A response body was not what the HTTP or WebSocket door sends. */
export class ResponseFormError extends Error {
  override name = 'ResponseFormError';
}

/**
 * Reads a response in the JSON form of the HTTP and WebSocket doors:
 * `{header: {request_id, exec_endpoint, target_executor, status?}, parameters, routes, data}`.
 */
export function responseFromJson(body: unknown): DataRequestProto {
  if (!isObject(body)) throw new ResponseFormError('the response is not a JSON object');
  const h = isObject(body.header) ? body.header : {};
  const res = create(DataRequestProtoSchema, {
    header: {
      requestId: str(h, 'request_id', 'requestId'),
      execEndpoint: str(h, 'exec_endpoint', 'execEndpoint') || undefined,
      targetExecutor: str(h, 'target_executor', 'targetExecutor') || undefined,
      status: statusFromJson(h.status),
    },
    parameters: isObject(body.parameters) ? (body.parameters as JsonObject) : {},
    routes: Array.isArray(body.routes) ? body.routes.map(routeFromJson) : [],
  });
  try {
    const data = body.data === undefined || body.data === null ? [] : body.data;
    const docs = docsFromJson(data);
    res.data = {
      $typeName: 'jina.DataRequestProto.DataContentProto',
      documents: { case: 'docsBytes', value: docs.toBytes() },
    };
    rememberDocs(res, docs);
  } catch (err) {
    if (err instanceof JsonFormError) throw new ResponseFormError(`the response's data: ${err.message}`);
    throw err;
  }
  return res;
}
