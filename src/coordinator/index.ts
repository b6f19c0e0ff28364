// The coordinator: the HTTP ingest endpoints (Prometheus remote write and
// read, InfluxDB line protocol, JSON), carbon over TCP, and M3's admin API,
// in front of the database through the client interface.
export { CoordinatorMetrics, type IngestProtocol } from "./metrics.js";
export {
  type ChunkedFrame,
  type ChunkedSeries,
  decodeWriteRequest,
  type EncodeOptions,
  encodeWriteRequest,
  readChunkedFrames,
  SeriesCache,
  type TestSeries,
  WriteRequestColumns,
  WriteRequestFormatError,
} from "./prom/index.js";
export { Coordinator, type CoordinatorOptions, type CoordinatorRoute } from "./server.js";
export { type CarbonOptions, CarbonServer } from "./text/index.js";
