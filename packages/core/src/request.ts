import { create, type JsonObject } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { DocumentArray, newId } from '@weft/docarray';
import {
  type DataRequestProto,
  DataRequestProtoSchema,
  type RouteProto,
  RouteProtoSchema,
  type StatusProto,
  StatusProto_StatusCode,
  StatusProtoSchema,
} from '@weft/proto';

/** The reserved parameters key holding per-runtime results of handlers. */
export const RESULTS_KEY = '__results__';

/** A new request id: 32 lowercase hex characters. */
export const newRequestId: () => string = newId;

/** What a new DataRequest is made of. */
export interface DataRequestInit {
  /** Endpoint to call. @default '/' */
  endpoint?: string;
  /** Documents to send. @default none */
  docs?: DocumentArray;
  /** Parameters for the executors. @default `{}` */
  parameters?: JsonObject;
  /** Regular expression selecting the deployments to run. @default all */
  targetExecutor?: string;
  /** Request id. @default a new random id */
  requestId?: string;
  /** Timeout hint in milliseconds carried in the header. */
  timeoutMs?: number;
}

/** Builds a DataRequestProto the way a Jina client does (`parameters.__results__` set to `{}`). */
export function createDataRequest(init: DataRequestInit = {}): DataRequestProto {
  const parameters: JsonObject = { ...(init.parameters ?? {}) };
  if (!(RESULTS_KEY in parameters)) parameters[RESULTS_KEY] = {};
  return create(DataRequestProtoSchema, {
    header: {
      requestId: init.requestId ?? newRequestId(),
      execEndpoint: init.endpoint ?? '/',
      targetExecutor: init.targetExecutor,
      timeout: init.timeoutMs,
    },
    parameters,
    data: { documents: { case: 'docs', value: (init.docs ?? new DocumentArray()).toProto() } },
  });
}

/** The documents of a request, decoded from `docs` or `docs_bytes`. */
export function requestDocs(req: DataRequestProto): DocumentArray {
  const d = req.data?.documents;
  if (!d || d.case === undefined) return new DocumentArray();
  if (d.case === 'docs') return DocumentArray.fromProto(d.value);
  // DocArray's direct codec reads DocumentArrayProto bytes without building a message per document.
  return DocumentArray.fromBytes(d.value);
}

/** Replaces the documents of a request. */
export function setRequestDocs(req: DataRequestProto, docs: DocumentArray): void {
  req.data = {
    $typeName: 'jina.DataRequestProto.DataContentProto',
    documents: { case: 'docs', value: docs.toProto() },
  };
}

/** The request's endpoint (`'/'` when unset). */
export function requestEndpoint(req: DataRequestProto): string {
  return req.header?.execEndpoint || '/';
}

/** Whether the request's header carries an ERROR status. */
export function isErrorResponse(req: DataRequestProto): boolean {
  return req.header?.status?.code === StatusProto_StatusCode.ERROR;
}

/** A StatusProto describing a thrown error, as Jina reports executor exceptions. */
export function errorStatus(err: unknown, executor: string): StatusProto {
  const e = err instanceof Error ? err : new Error(String(err));
  return create(StatusProtoSchema, {
    code: StatusProto_StatusCode.ERROR,
    description: `${e.name}: ${e.message}`,
    exception: {
      name: e.name,
      args: [e.message],
      stacks: (e.stack ?? '').split('\n').map((l) => `${l}\n`),
      executor,
    },
  });
}

/** A route entry for one hop, started now. */
export function startRoute(executor: string): RouteProto {
  return create(RouteProtoSchema, { executor, startTime: timestampNow() });
}

/** Marks a route entry finished now, with a status when it failed. */
export function endRoute(route: RouteProto, status?: StatusProto): void {
  route.endTime = timestampNow();
  if (status) route.status = status;
}
