// The node RPC: node.proto's messages encoded and decoded over byte arrays
// (batch columns as bytes fields, never a message per datapoint), and the
// gRPC service definition both the node's server and the client use.
export { RpcMessageError } from "./errors.js";
export {
  DATA_KIND,
  decodeFetchTaggedRequest,
  decodeFetchTaggedResponse,
  encodeFetchTaggedRequest,
  encodeFetchTaggedResponse,
  type FetchTaggedRequest,
  type WireSeries,
  wireSeriesSize,
} from "./fetch-messages.js";
export {
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
export {
  type AggregateRequest,
  decodeAggregateRequest,
  decodeAggregateResponse,
  decodeHealthResponse,
  encodeAggregateRequest,
  encodeAggregateResponse,
  encodeHealthRequest,
  encodeHealthResponse,
  type HealthResponse,
  type WireNodeState,
} from "./node-messages.js";
export {
  ERROR_CODE_METADATA_KEY,
  NODE_SERVICE,
  NODE_SERVICE_NAME,
  NODE_SERVICE_RAW,
  type NodeMethodName,
} from "./service.js";
export {
  decodeWriteBatchRequest,
  decodeWriteBatchResponse,
  encodeWriteBatchRequest,
  encodeWriteBatchResponse,
  type WireWriteError,
  type WriteBatchRequest,
  type WriteBatchResponse,
} from "./write-messages.js";
