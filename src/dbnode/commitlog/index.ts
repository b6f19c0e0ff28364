// The commit log: one node-wide append-only log, written before a write is
// acknowledged and replayed at bootstrap to rebuild series buffers.
//
// Strategies and what a crash can lose (docs/format/commitlog.md):
// - "wait": nothing acknowledged; commit() resolves after an fdatasync covering
//   the appends before it, shared by all commits in a flushIntervalMs window.
// - "behind": commit() resolves at once; a crash can lose what was appended in
//   the last flushIntervalMs (or up to flushMaxBytes) plus whatever the OS had
//   not yet written to disk.
export { CommitLog, type SeriesMetadata } from "./commit-log.js";
export {
  CommitLogClosedError,
  type CommitLogOp,
  CommitLogQueueFullError,
  CommitLogWriteError,
  InvalidCommitLogEntryError,
  InvalidCommitLogOptionsError,
} from "./errors.js";
export {
  type CommitLogFile,
  type CommitLogFiles,
  type CorruptCommitLogFile,
  listCommitLogFiles,
} from "./files.js";
export { commitLogFileName } from "./format.js";
export type { CommitLogOptions, CommitLogStrategy } from "./options.js";
export {
  type ReplayCallback,
  type ReplayOptions,
  type ReplayStats,
  replayCommitLogs,
} from "./replay.js";
