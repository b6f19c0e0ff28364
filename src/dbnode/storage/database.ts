// The database: namespaces of series buffers in memory, a node-wide commit log
// in front of them, fileset volumes behind them (flushed blocks and
// snapshots), bootstrap on open, and the tick that keeps buffers compact,
// flushes, snapshots and drops data past retention.
//
// This class is the face; the parts are namespace management
// (namespaces.ts), the write path (write-path.ts), the tick (tick.ts), the
// flush run (flush-manager.ts), the start from a data directory
// (startup.ts, with the sources in dbnode/bootstrap) and the shared
// lifecycle (lifecycle.ts). One event loop owns all of their state; writes,
// reads and the tick interleave only at their awaits.
import { MultiStreamIterator, type SeriesData } from "../../codec/index.js";
import {
  type Matcher,
  QueryLimitError,
  type QueryLimits,
  type QueryResult,
  type TimeIndex,
} from "../../index/index.js";
import { type Clock, type Logger, shardOf, type Tag } from "../../x/index.js";
import { type BootstrapProgress, copyBootstrapProgress } from "../bootstrap/index.js";
import type { CommitLog } from "../commitlog/index.js";
import type { NamespaceOptions, NamespaceOptionsInput } from "../namespace/index.js";
import type { WriteBatch, WriteResult } from "../ts/index.js";
import { BlockCache } from "./block-cache.js";
import { BootstrappingError, IndexDisabledError } from "./errors.js";
import { Lifecycle } from "./lifecycle.js";
import { StorageMetrics } from "./metrics.js";
import { loadRegistry, type RegistryEntry } from "./namespace-registry.js";
import { Namespaces } from "./namespaces.js";
import {
  type DatabaseOptions,
  type ResolvedDatabaseOptions,
  resolveDatabaseOptions,
} from "./options.js";
import { type ReadContext, readSeriesStreams } from "./read.js";
import { Sequences } from "./sequences.js";
import type { SequenceSource } from "./series-buffer.js";
import { Startup } from "./startup.js";
import { Tick, type TickResult } from "./tick.js";
import { WritePath } from "./write-path.js";

export type { DatabaseOptions } from "./options.js";

const utf8 = new TextEncoder();

export class Database implements SequenceSource {
  readonly clock: Clock;
  readonly numShards: number;
  readonly logger: Logger;
  readonly metrics: StorageMetrics;
  /** Blocks read from disk, kept by the configured policy. */
  readonly cache: BlockCache;
  /** Resolves when bootstrap has finished (rejects if it failed). */
  readonly bootstrapped: Promise<void>;
  private readonly shardSeed: number;
  private readonly sequences = new Sequences();
  private readonly life: Lifecycle;
  private readonly namespaces: Namespaces;
  private readonly writes: WritePath;
  private readonly ticks: Tick;
  /** What opens the data directory; null for a database in memory. */
  private readonly startup: Startup | null;
  private readContextCache: ReadContext | null = null;
  /** UTF-8 bytes of the ID shardOfId hashes; grows to the longest ID met. */
  private idScratch = new Uint8Array(256);

  private constructor(o: ResolvedDatabaseOptions, registry: readonly RegistryEntry[]) {
    this.clock = o.clock;
    this.numShards = o.numShards;
    this.shardSeed = o.shardSeed;
    this.logger = o.logger;
    this.cache = new BlockCache(o.cache);
    this.metrics = new StorageMetrics(
      o.metrics,
      () =>
        [...this.namespaces.values()].map((ns) => ({ namespace: ns.name, count: ns.seriesCount })),
      () => this.cache,
      () => this.log?.pendingBytes ?? 0,
    );
    this.life = new Lifecycle(this.metrics, this.logger);
    this.namespaces = new Namespaces(registry, o.dataDir, o.fs, o.numShards, this.life, {
      bootstrapped: () => this.bootstrapped,
      tickEnded: () => this.ticks.ended(),
    });
    this.ticks = new Tick(
      this.clock,
      this.namespaces,
      this.life,
      this.metrics,
      this.logger,
      o.tickSeriesBatchSize,
      o.tickIntervalMs,
    );
    this.writes = new WritePath(
      o,
      o.dataDir !== null,
      this.clock,
      this.namespaces,
      this.life,
      this.metrics,
      this.sequences,
    );
    this.startup =
      o.dataDir === null
        ? null
        : new Startup(o.dataDir, o, {
            life: this.life,
            namespaces: this.namespaces,
            writes: this.writes,
            sequences: this.sequences,
            cache: this.cache,
            metrics: this.metrics,
          });
    this.bootstrapped = this.bootstrap();
    // A failed bootstrap is reported through `bootstrapProgress` and the
    // promise; keep it from surfacing as an unhandled rejection when nobody
    // awaits it.
    this.bootstrapped.catch(() => {});
  }

  /**
   * Opens a database: checks the options, loads the namespace registry, then
   * bootstraps in the background (`bootstrapped` says when it is done; reads
   * and writes before then fail with BootstrappingError). Rejects with
   * DatabaseOptionError for an option out of range.
   */
  static async open(options: DatabaseOptions): Promise<Database> {
    const o = resolveDatabaseOptions(options);
    let registry: RegistryEntry[] = [];
    if (o.dataDir !== null) {
      await o.fs.mkdir(o.dataDir, { recursive: true });
      registry = await loadRegistry(o.dataDir, o.fs);
    }
    return new Database(o, registry);
  }

  /** Bootstrap state and counts, for the node's status endpoint. */
  get bootstrapProgress(): BootstrapProgress {
    return copyBootstrapProgress(this.life.progress);
  }

  /** Why the node takes no writes (its commit log or registry failed), or null while it does. */
  get failureReason(): string | null {
    return this.life.failure;
  }

  nextSeq(): number {
    return this.sequences.nextSeq();
  }

  // ---- namespaces ----------------------------------------------------------

  /**
   * Creates a namespace with M3's defaults for every option not given. It is
   * visible (takes writes) only once the registry holding it is saved.
   */
  createNamespace(name: string, input: NamespaceOptionsInput = {}): Promise<NamespaceOptions> {
    return this.namespaces.create(name, input);
  }

  /** Every namespace with its options, by name. */
  listNamespaces(): { name: string; options: NamespaceOptions }[] {
    return this.namespaces.list();
  }

  /** Changes the options M3 allows to change on a live namespace, once the registry holds them. */
  updateNamespace(name: string, input: NamespaceOptionsInput): Promise<NamespaceOptions> {
    return this.namespaces.update(name, input);
  }

  /**
   * Drops a namespace with its in-memory data and its filesets. A tick under
   * way finishes before the files go, so none of the namespace's volumes is
   * written after; a namespace of the same name can be created only after.
   */
  dropNamespace(name: string): Promise<void> {
    return this.namespaces.drop(name);
  }

  /** Number of live series in a namespace. */
  seriesCount(namespace: string): number {
    return this.namespaces.namespaceOf(namespace).seriesCount;
  }

  // ---- writes --------------------------------------------------------------

  /**
   * Writes a batch. Each datapoint is accepted or rejected on its own; the
   * accepted ones are in the commit log (under its strategy) before this
   * resolves. Throws only for what fails the whole batch: an unknown
   * namespace, bootstrap not finished, a commit log that cannot write.
   */
  writeBatch(namespace: string, batch: WriteBatch): Promise<WriteResult> {
    return this.writes.writeBatch(namespace, batch);
  }

  // ---- reads ---------------------------------------------------------------

  /**
   * The datapoints of one series in [startMs, endMs): every block the range
   * touches, from its fileset volume (through the block cache) and from the
   * buffers, merged so that the later write wins at equal instants.
   * Datapoints outside the range but in the same blocks may be included;
   * callers trim. Rejects with VolumeCorruptError if a volume read fails its
   * checksums, rather than answer without that block.
   */
  async fetch(
    namespace: string,
    id: string,
    startMs: number,
    endMs: number,
  ): Promise<MultiStreamIterator> {
    if (!this.life.isBootstrapped) throw new BootstrappingError("read");
    const ns = this.namespaces.namespaceOf(namespace);
    const streams = await readSeriesStreams(this.readContext, ns, id, startMs, endMs);
    const it = new MultiStreamIterator();
    it.reset(streams);
    return it;
  }

  /**
   * The data of one series in [startMs, endMs) as the pieces a read merges
   * (volumes' M3TSZ streams or packed blocks, then the buffers' streams), in
   * the order MultiStreamIterator takes them: what the node RPC sends so the
   * client merges replicas with the same iterator. Same errors as fetch.
   */
  async fetchSeriesData(
    namespace: string,
    id: string,
    startMs: number,
    endMs: number,
  ): Promise<SeriesData[]> {
    if (!this.life.isBootstrapped) throw new BootstrappingError("read");
    const ns = this.namespaces.namespaceOf(namespace);
    return readSeriesStreams(this.readContext, ns, id, startMs, endMs);
  }

  /** The shard a series ID belongs to on this node (murmur3 of its bytes, the node's seed, modulo numShards). */
  shardOfId(id: string): number {
    // Called for every series of every node RPC write: the ID's bytes go
    // into one scratch buffer rather than an allocation each.
    if (id.length * 3 > this.idScratch.length) this.idScratch = new Uint8Array(id.length * 3);
    const { written } = utf8.encodeInto(id, this.idScratch);
    return shardOf(this.idScratch.subarray(0, written), this.numShards, this.shardSeed);
  }

  /**
   * The series of a namespace whose tags every matcher accepts, among those
   * written in [startMs, endMs), with their tags. Throws QueryLimitError
   * past a limit, IndexDisabledError for a namespace without an index.
   */
  queryIndex(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    limits?: QueryLimits,
  ): QueryResult {
    return this.indexOf(namespace).query(matchers, startMs, endMs, limits);
  }

  /**
   * queryIndex restricted to the series of `shards` (all with null), as a
   * node answers for some of its shards: the series bound then counts only
   * their series, so it is checked after the filter rather than by the index.
   */
  queryIndexInShards(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
    limits: QueryLimits,
    shards: ReadonlySet<number> | null,
  ): { ids: string[]; tags: (readonly Tag[])[] } {
    const maxSeries = limits.maxSeries ?? 0;
    const found = this.queryIndex(namespace, matchers, startMs, endMs, {
      ...(shards === null && maxSeries > 0 && { maxSeries }),
      ...(limits.maxDocsScanned !== undefined && { maxDocsScanned: limits.maxDocsScanned }),
    });
    if (shards === null) return found;
    const ids: string[] = [];
    const tags: (readonly Tag[])[] = [];
    for (let s = 0; s < found.ids.length; s++) {
      if (!shards.has(this.shardOfId(found.ids[s]))) continue;
      ids.push(found.ids[s]);
      tags.push(found.tags[s]);
    }
    if (maxSeries > 0 && ids.length > maxSeries) {
      throw new QueryLimitError(
        "maxSeries",
        maxSeries,
        `${ids.length} series of the shards asked match`,
      );
    }
    return { ids, tags };
  }

  /** Label names of the matching series (all with no matchers), sorted. */
  labelNames(
    namespace: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
  ): string[] {
    return this.indexOf(namespace).labelNames(matchers, startMs, endMs);
  }

  /** Values of a label among the matching series (all with no matchers), sorted. */
  labelValues(
    namespace: string,
    name: string,
    matchers: readonly Matcher[],
    startMs: number,
    endMs: number,
  ): string[] {
    return this.indexOf(namespace).labelValues(name, matchers, startMs, endMs);
  }

  private indexOf(namespace: string): TimeIndex {
    if (!this.life.isBootstrapped) throw new BootstrappingError("read");
    const index = this.namespaces.namespaceOf(namespace).index;
    if (index === null) throw new IndexDisabledError(namespace);
    return index;
  }

  /** What reads need; built at the first read, which comes after bootstrap has set the persistence. */
  private get readContext(): ReadContext {
    this.readContextCache ??= {
      disk: this.life.persistence?.disk ?? null,
      cache: this.cache,
      clock: this.clock,
      metrics: this.metrics,
      logger: this.logger,
      numShards: this.numShards,
      shardSeed: this.shardSeed,
    };
    return this.readContextCache;
  }

  // ---- tick and lifecycle ------------------------------------------------

  /** One tick pass (tick.ts); a caller asking while one runs shares it. */
  tick(): Promise<TickResult> {
    return this.ticks.tick();
  }

  /** The commit log while it takes writes: from the end of bootstrap until close has closed it. */
  private get log(): CommitLog | null {
    return this.life.withOpenLog?.log ?? null;
  }

  /** Bootstraps, then starts the background tick; the state says how it went. */
  private async bootstrap(): Promise<void> {
    try {
      if (this.startup !== null) this.life.persistence = await this.startup.open();
      this.life.bootstrapDone();
      this.ticks.schedule();
    } catch (e) {
      this.life.bootstrapFailed(e);
      throw e;
    }
  }

  /** Stops the background tick, flushes and closes the commit log, closes the volumes' files. */
  async close(): Promise<void> {
    this.life.closed = true;
    this.ticks.stop();
    await this.bootstrapped.catch(() => {});
    await this.ticks.ended();
    let logError: unknown = null;
    const log = this.log;
    if (log !== null) await log.close().catch((e: unknown) => (logError = e));
    // Writes whose commit the close completed put their datapoints in the
    // buffers (or fail) before the database reports closed.
    await this.writes.settled();
    const p = this.life.persistence;
    if (p !== null) p.logOpen = false;
    if (this.startup !== null) await this.startup.close();
    if (logError !== null) throw logError;
  }
}
