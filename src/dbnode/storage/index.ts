// The storage engine: database, namespaces, shards and series buffers.
export type { BootstrapProgress, BootstrapState } from "../bootstrap/index.js";
export { Database } from "./database.js";
export {
  BootstrappingError,
  DatabaseOptionError,
  IndexDisabledError,
  InvalidSeriesError,
  InvalidWriteError,
  NamespaceExistsError,
  UnknownNamespaceError,
  WriteWindowError,
} from "./errors.js";
export type { DatabaseOptions } from "./options.js";
export { MAX_ENCODERS_PER_BUCKET, SeriesBuffer, WriteType } from "./series-buffer.js";
export type { TickResult } from "./tick.js";
