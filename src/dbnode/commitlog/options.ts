// Commit log options: the two strategies, flush triggers and the queue bound,
// validated once at open and copied into plain fields for the hot path.
import { type FileSystem, nodeFileSystem } from "../../x/index.js";
import { InvalidCommitLogOptionsError } from "./errors.js";

export type CommitLogStrategy = "wait" | "behind";

export interface CommitLogOptions {
  /** Directory of the commit log files; created if missing. */
  dir: string;
  /** "wait": acknowledge after fdatasync. "behind": acknowledge at once, flush in the background. */
  strategy: CommitLogStrategy;
  /**
   * "behind": flush pending records at least this often (default 1000, M3's flushEvery).
   * "wait": the group-commit window (default 2): commits within it share one write and fdatasync;
   * 0 groups only the commits made in the same turn of the event loop.
   */
  flushIntervalMs?: number;
  /** Seal and write a chunk when pending records reach this many bytes (default 524288, M3's flushMaxBytes). */
  flushMaxBytes?: number;
  /**
   * Bound on bytes appended but not yet written (default 64 MiB, or 4 x flushMaxBytes
   * if that is more; at least flushMaxBytes). An append past it
   * throws CommitLogQueueFullError: the disk is not keeping up.
   */
  maxQueueBytes?: number;
  /** Wall clock in epoch ms, for the file header. */
  now?: () => number;
  /** Where the files live (default: the machine's file system). */
  fs?: FileSystem;
}

const DEFAULT_FLUSH_INTERVAL_MS: Record<CommitLogStrategy, number> = { wait: 2, behind: 1000 };
const DEFAULT_FLUSH_MAX_BYTES = 524_288;
const DEFAULT_MAX_QUEUE_BYTES = 64 * 1024 * 1024;
const MAX_FLUSH_MAX_BYTES = 0x4000_0000;

/** Options with every default filled in. */
export type ResolvedOptions = Required<Omit<CommitLogOptions, "dir">>;

/** Fills in defaults and checks ranges; throws InvalidCommitLogOptionsError naming the option. */
export function resolveOptions(options: CommitLogOptions): ResolvedOptions {
  const strategy = options.strategy;
  if (strategy !== "wait" && strategy !== "behind") {
    throw new InvalidCommitLogOptionsError("strategy", strategy, '"wait" or "behind"');
  }
  const flushMaxBytes = options.flushMaxBytes ?? DEFAULT_FLUSH_MAX_BYTES;
  const opts = {
    strategy,
    flushIntervalMs: options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS[strategy],
    flushMaxBytes,
    maxQueueBytes: options.maxQueueBytes ?? Math.max(DEFAULT_MAX_QUEUE_BYTES, 4 * flushMaxBytes),
    now: options.now ?? Date.now,
    fs: options.fs ?? nodeFileSystem,
  };
  if (!(Number.isFinite(opts.flushIntervalMs) && opts.flushIntervalMs >= 0)) {
    throw new InvalidCommitLogOptionsError(
      "flushIntervalMs",
      opts.flushIntervalMs,
      "a finite number >= 0",
    );
  }
  if (
    !(
      Number.isInteger(opts.flushMaxBytes) &&
      opts.flushMaxBytes >= 1 &&
      opts.flushMaxBytes <= MAX_FLUSH_MAX_BYTES
    )
  ) {
    throw new InvalidCommitLogOptionsError(
      "flushMaxBytes",
      opts.flushMaxBytes,
      `an integer in 1..${MAX_FLUSH_MAX_BYTES}`,
    );
  }
  if (!(Number.isSafeInteger(opts.maxQueueBytes) && opts.maxQueueBytes >= opts.flushMaxBytes)) {
    throw new InvalidCommitLogOptionsError(
      "maxQueueBytes",
      opts.maxQueueBytes,
      `an integer >= flushMaxBytes (${opts.flushMaxBytes})`,
    );
  }
  return opts;
}
