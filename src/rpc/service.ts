// The node service as @grpc/grpc-js takes it: one MethodDefinition per call
// of node.proto with this folder's encoders and decoders as its serializers
// (no proto-loader, no generated code), and the metadata key an error's code
// crosses the wire under.
import type { MethodDefinition } from "@grpc/grpc-js";
import {
  decodeFetchTaggedRequest,
  decodeFetchTaggedResponse,
  encodeFetchTaggedRequest,
  encodeFetchTaggedResponse,
  type FetchTaggedRequest,
  type WireSeries,
} from "./fetch-messages.js";
import {
  decodeLabelNamesRequest,
  decodeLabelsResponse,
  decodeLabelValuesRequest,
  decodeSeriesTagsRequest,
  decodeSeriesTagsResponse,
  encodeLabelNamesRequest,
  encodeLabelsResponse,
  encodeLabelValuesRequest,
  encodeSeriesTagsRequest,
  encodeSeriesTagsResponse,
  type LabelNamesRequest,
  type LabelValuesRequest,
  type SeriesTagsRequest,
  type WireSeriesTags,
} from "./index-messages.js";
import {
  type AggregateRequest,
  decodeAggregateRequest,
  decodeAggregateResponse,
  decodeHealthResponse,
  encodeAggregateRequest,
  encodeAggregateResponse,
  encodeHealthRequest,
  encodeHealthResponse,
  type HealthResponse,
} from "./node-messages.js";
import {
  decodeWriteBatchRequest,
  decodeWriteBatchResponse,
  encodeWriteBatchRequest,
  encodeWriteBatchResponse,
  type WriteBatchRequest,
  type WriteBatchResponse,
} from "./write-messages.js";

/** The service's full name in node.proto (package m3ts.node.v1). */
export const NODE_SERVICE_NAME = "m3ts.node.v1.Node";

/** Trailing metadata key holding an M3tsError's code; the status details hold its message. */
export const ERROR_CODE_METADATA_KEY = "m3ts-error-code";

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function unary<Req, Res>(
  name: string,
  encodeRequest: (req: Req) => Uint8Array,
  decodeRequest: (b: Uint8Array) => Req,
  encodeResponse: (res: Res) => Uint8Array,
  decodeResponse: (b: Uint8Array) => Res,
): MethodDefinition<Req, Res> {
  return {
    path: `/${NODE_SERVICE_NAME}/${name}`,
    originalName: name,
    requestStream: false,
    responseStream: false,
    requestSerialize: (req: Req) => asBuffer(encodeRequest(req)),
    requestDeserialize: (b: Buffer) => decodeRequest(b),
    responseSerialize: (res: Res) => asBuffer(encodeResponse(res)),
    responseDeserialize: (b: Buffer) => decodeResponse(b),
  };
}

/** Every call of the node service, typed by its decoded messages. */
export const NODE_SERVICE = {
  writeBatch: unary<WriteBatchRequest, WriteBatchResponse>(
    "WriteBatch",
    encodeWriteBatchRequest,
    decodeWriteBatchRequest,
    encodeWriteBatchResponse,
    decodeWriteBatchResponse,
  ),
  fetchTagged: unary<FetchTaggedRequest, WireSeries[]>(
    "FetchTagged",
    encodeFetchTaggedRequest,
    decodeFetchTaggedRequest,
    encodeFetchTaggedResponse,
    decodeFetchTaggedResponse,
  ),
  seriesTags: unary<SeriesTagsRequest, WireSeriesTags[]>(
    "SeriesTags",
    encodeSeriesTagsRequest,
    decodeSeriesTagsRequest,
    encodeSeriesTagsResponse,
    decodeSeriesTagsResponse,
  ),
  labelNames: unary<LabelNamesRequest, string[]>(
    "LabelNames",
    encodeLabelNamesRequest,
    decodeLabelNamesRequest,
    encodeLabelsResponse,
    decodeLabelsResponse,
  ),
  labelValues: unary<LabelValuesRequest, string[]>(
    "LabelValues",
    encodeLabelValuesRequest,
    decodeLabelValuesRequest,
    encodeLabelsResponse,
    decodeLabelsResponse,
  ),
  health: unary<null, HealthResponse>(
    "Health",
    encodeHealthRequest,
    () => null,
    encodeHealthResponse,
    decodeHealthResponse,
  ),
  aggregate: unary<AggregateRequest, Uint8Array>(
    "Aggregate",
    encodeAggregateRequest,
    decodeAggregateRequest,
    encodeAggregateResponse,
    decodeAggregateResponse,
  ),
} as const;

export type NodeMethodName = keyof typeof NODE_SERVICE;

/**
 * The same service with bytes in and out: a server that must weigh a
 * request before decoding it (bounds on bytes in flight) and measure its
 * answer before sending it registers this one and calls the codecs itself.
 */
export const NODE_SERVICE_RAW = {
  writeBatch: raw(NODE_SERVICE.writeBatch),
  fetchTagged: raw(NODE_SERVICE.fetchTagged),
  seriesTags: raw(NODE_SERVICE.seriesTags),
  labelNames: raw(NODE_SERVICE.labelNames),
  labelValues: raw(NODE_SERVICE.labelValues),
  health: raw(NODE_SERVICE.health),
  aggregate: raw(NODE_SERVICE.aggregate),
} as const;

function raw<Req, Res>(m: MethodDefinition<Req, Res>): MethodDefinition<Buffer, Uint8Array> {
  return {
    path: m.path,
    originalName: m.originalName,
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: asBuffer,
    responseDeserialize: (b: Buffer) => b,
  };
}
