import type { JsonObject } from '@bufbuild/protobuf';
import { isErrorResponse, requestDocs } from '@weft/core';
import type { DocumentArray } from '@weft/docarray';
import type { DataRequestProto, RouteProto, StatusProto } from '@weft/proto';

const decoded = new WeakMap<DataRequestProto, DocumentArray>();

/** @internal Remembers the already decoded documents of a response (JSON transports). */
export function rememberDocs(res: DataRequestProto, docs: DocumentArray): void {
  decoded.set(res, docs);
}

/** @internal The documents of a request or response, decoded once. */
export function docsOf(req: DataRequestProto): DocumentArray {
  let d = decoded.get(req);
  if (!d) {
    d = requestDocs(req);
    decoded.set(req, d);
  }
  return d;
}

/**
 * One response of the gateway, as passed to `onDone`/`onError`/`onAlways`, returned with
 * `returnResponses` and yielded by `stream()`. Documents are decoded on first access.
 */
export class ClientResponse {
  /** The wire message. */
  readonly proto: DataRequestProto;

  constructor(proto: DataRequestProto) {
    this.proto = proto;
  }

  /** The request id (32 hex characters) this response answers. */
  get requestId(): string {
    return this.proto.header?.requestId ?? '';
  }

  /** The endpoint the request was sent to. */
  get endpoint(): string {
    return this.proto.header?.execEndpoint || '/';
  }

  /** The documents of the response. */
  get docs(): DocumentArray {
    return docsOf(this.proto);
  }

  /** The parameters, including `__results__` of handlers that returned plain objects. */
  get parameters(): JsonObject {
    return (this.proto.parameters ?? {}) as JsonObject;
  }

  /** One entry per hop: `gateway` first, then every deployment visited. */
  get routes(): readonly RouteProto[] {
    return this.proto.routes;
  }

  /** The status in the header (ERROR when an executor failed), if any. */
  get status(): StatusProto | undefined {
    return this.proto.header?.status;
  }

  /** Whether an executor failed on this request. */
  get isError(): boolean {
    return isErrorResponse(this.proto);
  }
}
