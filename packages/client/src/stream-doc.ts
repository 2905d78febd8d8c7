import { create, type JsonObject } from '@bufbuild/protobuf';
import { newRequestId } from '@weft/core';
import { Document } from '@weft/docarray';
import { DataRequestProtoSchema, type SingleDocumentRequestProto, StatusProto_StatusCode } from '@weft/proto';
import { ExecutorError } from './errors.js';
import type { ClientTransport } from './transport.js';

type StreamDocExtra = Parameters<NonNullable<ClientTransport['streamDoc']>>[2];

/** @internal The `stream_doc` request of one document (gRPC and gRPC-web). */
export function streamDocRequest(endpoint: string, doc: Document, extra: StreamDocExtra) {
  return {
    header: { requestId: newRequestId(), execEndpoint: endpoint, targetExecutor: extra.targetExecutor },
    parameters: { __results__: {}, ...(extra.parameters ?? {}) } as JsonObject,
    document: doc.toProto(),
  };
}

/** @internal The document of one `stream_doc` answer; an ERROR answer throws {@link ExecutorError}. */
export function streamDocAnswer(res: SingleDocumentRequestProto): Document | undefined {
  if (res.header?.status?.code === StatusProto_StatusCode.ERROR) {
    throw new ExecutorError(
      create(DataRequestProtoSchema, { header: res.header, parameters: res.parameters, routes: res.routes }),
    );
  }
  return res.document ? Document.fromProto(res.document) : undefined;
}
