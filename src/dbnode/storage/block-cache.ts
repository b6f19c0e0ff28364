// The cache of series blocks read from fileset volumes on disk, under M3's series cache
// policies: none, all, recently_read and lru (M3 docs, "caching").
import { type SeriesData, seriesDataBytes } from "../../codec/index.js";
import { M3tsError } from "../../x/index.js";

export type CachePolicy = "none" | "all" | "recently_read" | "lru";

export const CACHE_POLICIES: readonly CachePolicy[] = ["none", "all", "recently_read", "lru"];

export interface BlockCacheOptions {
  policy?: CachePolicy;
  /** lru: most blocks held (M3's maxWiredBlocks, default 65536). */
  maxBlocks?: number;
  /** recently_read: a block not read for this long is dropped (default 300_000 ms). */
  recentlyReadExpiryMs?: number;
}

const DEFAULT_MAX_BLOCKS = 65_536;
const DEFAULT_RECENTLY_READ_EXPIRY_MS = 300_000;

/** A cache option outside what is allowed. */
export class InvalidCacheOptionError extends M3tsError {
  readonly option: string;
  readonly value: unknown;

  constructor(option: string, value: unknown, why: string) {
    const shown = typeof value === "string" ? JSON.stringify(value) : String(value);
    super("M3TS_ERR_INVALID_CACHE_OPTION", `cache option ${option} = ${shown} is invalid: ${why}`);
    this.option = option;
    this.value = value;
  }
}

function checkPositiveInt(option: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidCacheOptionError(option, value, "must be a positive safe integer");
  }
  return value;
}

/** Fills in defaults and validates; throws InvalidCacheOptionError naming the bad option. */
export function resolveCacheOptions(input: BlockCacheOptions = {}): Required<BlockCacheOptions> {
  const policy = input.policy ?? "lru";
  if (!CACHE_POLICIES.includes(policy)) {
    throw new InvalidCacheOptionError(
      "policy",
      policy,
      `must be one of ${CACHE_POLICIES.join(", ")}`,
    );
  }
  return {
    policy,
    maxBlocks: checkPositiveInt("maxBlocks", input.maxBlocks ?? DEFAULT_MAX_BLOCKS),
    recentlyReadExpiryMs: checkPositiveInt(
      "recentlyReadExpiryMs",
      input.recentlyReadExpiryMs ?? DEFAULT_RECENTLY_READ_EXPIRY_MS,
    ),
  };
}

interface Entry {
  stream: SeriesData;
  lastReadMs: number;
  volumeKey: string;
}

/** Series streams of fileset volumes, keyed by volume and series ID. */
export class BlockCache {
  readonly policy: CachePolicy;
  hits = 0;
  misses = 0;
  evictions = 0;
  private readonly maxBlocks: number;
  private readonly expiryMs: number;
  // Insertion order is access order: a hit or put moves its entry to the end, so the front is
  // both the least recently used (lru) and the least recently read (recently_read).
  private readonly entries = new Map<string, Entry>();
  private readonly byVolume = new Map<string, Set<string>>();
  private totalBytes = 0;
  // Newest time seen: a clock that steps back must not break the map's last-read order.
  private latestMs = Number.NEGATIVE_INFINITY;

  constructor(options?: BlockCacheOptions) {
    const resolved = resolveCacheOptions(options);
    this.policy = resolved.policy;
    this.maxBlocks = resolved.maxBlocks;
    this.expiryMs = resolved.recentlyReadExpiryMs;
  }

  /** Entries held. */
  get size(): number {
    return this.entries.size;
  }

  /** Sum of the held streams' byte lengths. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** True when this policy keeps a block just read from disk (recently_read, lru). */
  get cachesReads(): boolean {
    return this.policy === "recently_read" || this.policy === "lru";
  }

  /** True when this policy keeps every flushed block (all). */
  get cachesEverything(): boolean {
    return this.policy === "all";
  }

  /** A volume's cached stream of one series, or undefined; a hit refreshes its recency. */
  get(volumeKey: string, seriesId: string, nowMs: number): SeriesData | undefined {
    const key = `${volumeKey}\u0000${seriesId}`;
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    entry.lastReadMs = this.observe(nowMs);
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.stream;
  }

  /** Stores a stream, which the cache then owns (no-op under "none"); lru evicts past maxBlocks. */
  put(volumeKey: string, seriesId: string, stream: SeriesData, nowMs: number): void {
    if (this.policy === "none") return;
    const key = `${volumeKey}\u0000${seriesId}`;
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.totalBytes -= seriesDataBytes(old.stream);
      this.entries.delete(key);
    } else {
      let keys = this.byVolume.get(volumeKey);
      if (keys === undefined) {
        keys = new Set();
        this.byVolume.set(volumeKey, keys);
      }
      keys.add(key);
    }
    this.entries.set(key, { stream, lastReadMs: this.observe(nowMs), volumeKey });
    this.totalBytes += seriesDataBytes(stream);
    if (this.policy === "lru") {
      while (this.entries.size > this.maxBlocks) {
        const [front, entry] = this.entries.entries().next().value as [string, Entry];
        this.remove(front, entry);
        this.evictions++;
      }
    }
  }

  /** Drops every entry of a volume (it was replaced or expired). Returns how many. */
  dropVolume(volumeKey: string): number {
    const keys = this.byVolume.get(volumeKey);
    if (keys === undefined) return 0;
    for (const key of keys) {
      const entry = this.entries.get(key) as Entry;
      this.entries.delete(key);
      this.totalBytes -= seriesDataBytes(entry.stream);
    }
    this.byVolume.delete(volumeKey);
    return keys.size;
  }

  /** recently_read: drops entries last read or put expiryMs or more before nowMs. Others: 0. */
  expire(nowMs: number): number {
    if (this.policy !== "recently_read") return 0;
    const cutoffMs = nowMs - this.expiryMs;
    let dropped = 0;
    // The map is in last-read order, so the first fresh entry ends the scan.
    for (const [key, entry] of this.entries) {
      if (entry.lastReadMs > cutoffMs) break;
      this.remove(key, entry);
      dropped++;
    }
    return dropped;
  }

  private observe(nowMs: number): number {
    if (nowMs > this.latestMs) this.latestMs = nowMs;
    return this.latestMs;
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.totalBytes -= seriesDataBytes(entry.stream);
    const keys = this.byVolume.get(entry.volumeKey) as Set<string>;
    keys.delete(key);
    if (keys.size === 0) this.byVolume.delete(entry.volumeKey);
  }
}
