// Prometheus's remote protocols: remote write 1.0 and 2.0 (decoding, version
// negotiation, the series cache of the ingest path), remote read (SAMPLES and
// STREAMED_XOR_CHUNKS answers), and a request encoder for clients and tests.
export {
  type ChunkedChunk,
  type ChunkedFrame,
  ChunkedFrameError,
  type ChunkedSeries,
  readChunkedFrames,
} from "./chunked-read-response.js";
export type { ReadQuery } from "./read-request.js";
export { RemoteReadHandler, type RemoteReadLimits } from "./remote-read.js";
export { type IngestLimits, RemoteWriteHandler } from "./remote-write.js";
export { type EncodeOptions, encodeWriteRequest, type TestSeries } from "./request-encoder.js";
export { DEFAULT_SERIES_CACHE_BYTES, SeriesCache } from "./series-cache.js";
export {
  decodeWriteRequest,
  WriteRequestColumns,
  WriteRequestFormatError,
} from "./write-request.js";
