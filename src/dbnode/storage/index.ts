// The storage engine: database, namespaces, shards and series buffers.
export type { BootstrapProgress, BootstrapState } from "./commitlog-bootstrap.js";
export {
  Database,
  type DatabaseOptions,
  type TickResult,
} from "./database.js";
export {
  BootstrappingError,
  IndexDisabledError,
  InvalidSeriesError,
  InvalidWriteError,
  NamespaceExistsError,
  UnknownNamespaceError,
  WriteWindowError,
} from "./errors.js";
export { MAX_ENCODERS_PER_BUCKET, SeriesBuffer, WriteType } from "./series-buffer.js";
