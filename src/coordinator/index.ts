// The coordinator: the HTTP ingest endpoints (Prometheus remote write and
// read, InfluxDB line protocol, JSON), carbon over TCP, and M3's admin API,
// in front of the database through the client interface.
export { type CarbonOptions, CarbonServer } from "./carbon-server.js";
export { CoordinatorMetrics, type IngestProtocol } from "./metrics.js";
export { SeriesCache } from "./series-cache.js";
export { Coordinator, type CoordinatorOptions } from "./server.js";
export {
  decodeWriteRequest,
  WriteRequestColumns,
  WriteRequestFormatError,
} from "./write-request.js";
