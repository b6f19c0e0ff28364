// The metadata endpoint's public things, for query/api's index.ts to re-export.
export { type MetadataResponse, metadataResponse } from "./metadata-response.js";
