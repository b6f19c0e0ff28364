// Metric metadata (type, help and unit per metric family) as remote write carries it:
// a bounded store, its file in the data directory, and its self-metrics.
export {
  DEFAULT_METADATA_SAVE_INTERVAL_MS,
  decodeMetadataFile,
  encodeMetadataFile,
  METADATA_DAMAGED_FILE,
  METADATA_FILE,
  MetadataFileCorruptError,
  MetadataPersistence,
  type MetadataPersistenceOptions,
} from "./metadata-file.js";
export { registerMetadataMetrics } from "./metadata-metrics.js";
export {
  DEFAULT_MAX_METADATA_METRICS,
  DEFAULT_MAX_METADATA_PER_METRIC,
  METRIC_TYPES,
  MetadataLimitError,
  type MetadataStoreLimits,
  type MetricMetadata,
  MetricMetadataStore,
  type MetricType,
  metricTypeOfEnum,
} from "./metadata-store.js";
