// The coordinator: the HTTP ingest endpoints (Prometheus remote write and
// read, InfluxDB line protocol, JSON), carbon over TCP, and M3's admin API,
// in front of the database through the client interface.
export { CarbonServer, type CarbonOptions } from "./carbon-server.js";
export { CoordinatorMetrics, type IngestProtocol } from "./metrics.js";
export { Coordinator, type CoordinatorOptions } from "./server.js";
export { SeriesCache } from "./series-cache.js";
export {
  decodeWriteRequest,
  WriteRequestColumns,
  WriteRequestFormatError,
} from "./write-request.js";
