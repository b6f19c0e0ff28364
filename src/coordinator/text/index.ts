// The text ingest protocols: InfluxDB line protocol, M3's JSON write, and
// Graphite carbon over TCP, parsed into samples and written through the client.
export { type CarbonOptions, CarbonServer } from "./carbon-server.js";
export { handleInfluxWrite, handleJsonWrite, type TextWriteDeps } from "./endpoints.js";
