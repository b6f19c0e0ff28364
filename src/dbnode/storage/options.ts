// Database options: what a caller may set, resolved once at open into plain
// fields with every default filled in and every number checked against the
// range in OPTION_RANGES, so nothing on a hot path reads an optional field.
// The cache and the commit log check their own options (block-cache.ts,
// commitlog/options.ts).
import { Registry } from "prom-client";
import {
  type Clock,
  DEFAULT_MAX_TAGS,
  type FileSystem,
  type Logger,
  MAX_TAGS_ENCODABLE,
  nodeFileSystem,
  silentLogger,
  systemClock,
} from "../../x/index.js";
import type { CommitLogStrategy } from "../commitlog/index.js";
import { type BlockCacheOptions, resolveCacheOptions } from "./block-cache.js";
import type { CompactionSettings } from "./compaction.js";
import { DatabaseOptionError } from "./errors.js";

export interface DatabaseOptions {
  /** Directory for the commit log and the namespace registry; null keeps everything in memory. */
  dataDir: string | null;
  clock?: Clock;
  /** File system of the data directory (default: the machine's); tests pass a simulated one. */
  fs?: FileSystem;
  /** Shards per namespace (M3's local default: 64). */
  numShards?: number;
  /** Murmur3 seed of the shard hash (M3's hashing.seed, default 0). */
  shardSeed?: number;
  commitLog?: {
    strategy: CommitLogStrategy;
    flushIntervalMs?: number;
    flushMaxBytes?: number;
  };
  /** Longest series ID accepted, in UTF-8 bytes (default 16 KiB). */
  maxIdBytes?: number;
  /** Most tags a series may have (default 256). */
  maxTags?: number;
  /** Series the tick handles before it yields to the event loop (M3: 512). */
  tickSeriesBatchSize?: number;
  /** Pause between background ticks in ms (M3's tickMinimumInterval, 10 s); 0 runs no background tick. */
  tickIntervalMs?: number;
  logger?: Logger;
  /** Registry for the engine's self-metrics; a private one when not given. */
  metrics?: Registry;
  /** Series cache policy for blocks read from disk (M3's db.cache.series; default lru). */
  cache?: BlockCacheOptions;
  /** Least time between snapshots in ms (default 60 s); 0 snapshots on every flush run. */
  snapshotIntervalMs?: number;
  /** Most fileset files held open for reads (default 512). */
  maxOpenFiles?: number;
  /** Merging old blocks' m3ts-format volumes into longer ones (compaction.ts). */
  compaction?: CompactionOptions;
}

export interface CompactionOptions {
  /** Whether old volumes are compacted (default true). */
  enabled?: boolean;
  /** How long after a span's last warm write it waits to be merged, in ms (default 2 h). */
  afterMs?: number;
  /** Longest compacted volume in ms (default: a tenth of the namespace's retention, at most 31 days). */
  maxSpanMs?: number;
}

/** The numeric options, each with its default and the integers it may take, bounds included. */
export const OPTION_RANGES = {
  // The shard hash and the commit log's shard field are unsigned 32-bit.
  numShards: { default: 64, min: 1, max: 0xffff_ffff },
  shardSeed: { default: 0, min: 0, max: 0xffff_ffff },
  // An ID is held in memory, in the commit log and in every index entry of its series.
  maxIdBytes: { default: 16 * 1024, min: 1, max: 1024 * 1024 },
  maxTags: { default: DEFAULT_MAX_TAGS, min: 1, max: MAX_TAGS_ENCODABLE },
  tickSeriesBatchSize: { default: 512, min: 1, max: Number.MAX_SAFE_INTEGER },
  // Node's timers fire at once for a delay past 2^31 - 1 ms, which would make the tick spin.
  tickIntervalMs: { default: 10_000, min: 0, max: 2_147_483_647 },
  snapshotIntervalMs: { default: 60_000, min: 0, max: Number.MAX_SAFE_INTEGER },
  maxOpenFiles: { default: 512, min: 1, max: Number.MAX_SAFE_INTEGER },
} as const;

type RangedOption = keyof typeof OPTION_RANGES;

/** Options with every default filled in and every value checked. */
export interface ResolvedDatabaseOptions {
  dataDir: string | null;
  clock: Clock;
  fs: FileSystem;
  numShards: number;
  shardSeed: number;
  commitLog: NonNullable<DatabaseOptions["commitLog"]>;
  maxIdBytes: number;
  maxTags: number;
  tickSeriesBatchSize: number;
  tickIntervalMs: number;
  logger: Logger;
  metrics: Registry;
  cache: Required<BlockCacheOptions>;
  snapshotIntervalMs: number;
  maxOpenFiles: number;
  compaction: CompactionSettings;
}

function ranged(options: DatabaseOptions, option: RangedOption): number {
  const { default: fallback, min, max } = OPTION_RANGES[option];
  const value: unknown = options[option] ?? fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new DatabaseOptionError(option, value, min, max);
  }
  return value;
}

/**
 * Fills in defaults and checks every option; throws DatabaseOptionError
 * naming the option, its value and its range (InvalidCacheOptionError for
 * the cache's).
 */
export function resolveDatabaseOptions(options: DatabaseOptions): ResolvedDatabaseOptions {
  const numShards = ranged(options, "numShards");
  const shardSeed = ranged(options, "shardSeed");
  const maxIdBytes = ranged(options, "maxIdBytes");
  const maxTags = ranged(options, "maxTags");
  const tickSeriesBatchSize = ranged(options, "tickSeriesBatchSize");
  const tickIntervalMs = ranged(options, "tickIntervalMs");
  const cache = resolveCacheOptions(options.cache);
  const snapshotIntervalMs = ranged(options, "snapshotIntervalMs");
  const maxOpenFiles = ranged(options, "maxOpenFiles");
  const compaction = resolveCompaction(options.compaction ?? {});
  return {
    dataDir: options.dataDir,
    clock: options.clock ?? systemClock,
    fs: options.fs ?? nodeFileSystem,
    numShards,
    shardSeed,
    commitLog: options.commitLog ?? { strategy: "wait" },
    maxIdBytes,
    maxTags,
    tickSeriesBatchSize,
    tickIntervalMs,
    logger: options.logger ?? silentLogger,
    metrics: options.metrics ?? new Registry(),
    cache,
    snapshotIntervalMs,
    maxOpenFiles,
    compaction,
  };
}

/** Default wait of a span after its last warm write before it is compacted. */
export const DEFAULT_COMPACTION_AFTER_MS = 2 * 3_600_000;

function resolveCompaction(c: CompactionOptions): CompactionSettings {
  const ms = (option: string, value: unknown): number => {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
      throw new DatabaseOptionError(option, value, 0, Number.MAX_SAFE_INTEGER);
    }
    return value;
  };
  const enabled = c.enabled ?? true;
  if (typeof enabled !== "boolean") {
    // Only true and false: 0 and 1 are the bounds the error names.
    throw new DatabaseOptionError("compaction.enabled", enabled, 0, 1);
  }
  return {
    enabled,
    afterMs: ms("compaction.afterMs", c.afterMs ?? DEFAULT_COMPACTION_AFTER_MS),
    maxSpanMs: c.maxSpanMs === undefined ? null : ms("compaction.maxSpanMs", c.maxSpanMs),
  };
}
