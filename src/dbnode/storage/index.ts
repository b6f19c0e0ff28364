// The storage engine: database, namespaces, shards and series buffers.
export {
  type BootstrapProgress,
  type BootstrapState,
  Database,
  type DatabaseOptions,
  type TickResult,
  type WriteBatch,
  type WriteResult,
} from "./database.js";
export {
  BootstrappingError,
  InvalidSeriesError,
  InvalidWriteError,
  NamespaceExistsError,
  UnknownNamespaceError,
  WriteWindowError,
} from "./errors.js";
export { MAX_ENCODERS_PER_BUCKET, SeriesBuffer, WriteType } from "./series-buffer.js";
