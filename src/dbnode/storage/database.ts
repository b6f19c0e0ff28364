// The database: namespaces of series buffers in memory, a node-wide commit log
// in front of them, fileset volumes behind them (flushed blocks and
// snapshots), bootstrap from filesets, snapshot and commit log on open, and
// the tick that keeps buffers compact, flushes, snapshots and drops data past
// retention.
//
// One event loop owns all of this state; writes, reads and the tick interleave
// only at their awaits.

import { dirname, join } from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { Registry } from "prom-client";
import { isWritableUnit, MultiStreamIterator } from "../../codec/index.js";
import type { Matcher, QueryLimits, QueryResult, TimeIndex } from "../../index/index.js";
import { type FileSystem, nodeFileSystem } from "../../x/file-system.js";
import {
  type Clock,
  checkEncodedTags,
  compareUtf8,
  DEFAULT_MAX_TAGS,
  decodeTags,
  type Logger,
  M3tsError,
  seriesIdOfEncodedTags,
  shardOf,
  silentLogger,
  systemClock,
  TimeUnit,
} from "../../x/index.js";
import {
  CommitLog,
  CommitLogClosedError,
  type CommitLogStrategy,
  CommitLogWriteError,
  listCommitLogFiles,
} from "../commitlog/index.js";
import { FileHandlePool, indexVolumeDir, type VolumeCorruptError } from "../fs/index.js";
import {
  type NamespaceOptions,
  type NamespaceOptionsInput,
  namespaceOptionsUpdate,
  resolveNamespaceOptions,
  validateNamespaceName,
} from "../namespace/index.js";
import type { WriteBatch, WriteResult } from "../ts/index.js";
import { BlockCache, type BlockCacheOptions, resolveCacheOptions } from "./block-cache.js";
import {
  type BootstrapProgress,
  type ReplayTarget,
  replayCommitLogInto,
} from "./commitlog-bootstrap.js";
import { DiskBlocks } from "./disk-blocks.js";
import {
  BootstrappingError,
  IndexDisabledError,
  InvalidSeriesError,
  InvalidWriteError,
  NamespaceChangingError,
  NamespaceExistsError,
  NodeFailedError,
  NodeStoppingError,
  UnknownNamespaceError,
  WriteWindowError,
} from "./errors.js";
import { type FlushHost, FlushManager, type FlushRunResult } from "./flush-manager.js";
import { bootstrapDataVolumes, bootstrapSnapshot } from "./fs-bootstrap.js";
import { IndexVolumes } from "./index-volumes.js";
import { StorageMetrics } from "./metrics.js";
import { Namespace } from "./namespace.js";
import {
  loadRegistry,
  type RegistryEntry,
  RegistryUncertainError,
  saveRegistry,
} from "./namespace-registry.js";
import { type ReadContext, readSeriesStreams } from "./read.js";
import { type SequenceSource, WriteType } from "./series-buffer.js";
import { badTime, checkBatchShape, outsideWindow } from "./write-checks.js";

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
  /** Most fileset files held open for reads (default 128). */
  maxOpenFiles?: number;
}

export interface TickResult {
  series: number;
  bucketsMerged: number;
  blocksExpired: number;
  seriesRemoved: number;
  commitLogsRemoved: number;
  /** Blocks written to fileset volumes for the first time. */
  warmFlushes: number;
  /** Blocks merged with their volume into the next one. */
  coldFlushes: number;
  flushFailures: number;
  /** Data volumes deleted for leaving retention. */
  volumesExpired: number;
  /** Index blocks sealed and written as index volumes, and those whose write failed. */
  indexFlushes: number;
  indexFlushFailures: number;
  snapshotTaken: boolean;
}

const DEFAULTS = {
  numShards: 64,
  maxIdBytes: 16 * 1024,
  maxTags: DEFAULT_MAX_TAGS,
  tickSeriesBatchSize: 512,
  tickIntervalMs: 10_000,
  snapshotIntervalMs: 60_000,
  maxOpenFiles: 128,
};

const utf8 = new TextEncoder();

export class Database implements SequenceSource {
  readonly clock: Clock;
  readonly numShards: number;
  private readonly shardSeed: number;
  private readonly maxIdBytes: number;
  private readonly maxTags: number;
  private readonly tickBatch: number;
  private readonly tickIntervalMs: number;
  private tickTimer: NodeJS.Timeout | null = null;
  private ticking: Promise<TickResult> | null = null;
  private closed = false;
  /** Set once the commit log failed: the node takes no more writes (fail-stop). */
  private failure: string | null = null;
  readonly logger: Logger;
  readonly metrics: StorageMetrics;
  private readonly dataDir: string | null;
  private readonly fs: FileSystem;
  private readonly commitLogOptions: DatabaseOptions["commitLog"];
  private readonly namespaces = new Map<string, Namespace>();
  private log: CommitLog | null = null;
  /** Blocks read from disk, kept by the configured policy. */
  readonly cache: BlockCache;
  private readonly disk: DiskBlocks | null;
  /** The namespaces' index volumes on disk. */
  private readonly indexVolumes: IndexVolumes | null;
  private flusher: FlushManager | null = null;
  private readonly snapshotIntervalMs: number;
  /** Writes appended to the commit log but not yet in the buffers. */
  private readonly inflight = new Set<Promise<WriteResult>>();
  private logPeriodStartMs = 0;
  /** The namespace change under way; the next one starts after it (changeRegistry). */
  private registryChain: Promise<unknown> = Promise.resolve();
  private seq = 0;
  private seriesIndex = 0;
  private progress: BootstrapProgress = {
    state: "bootstrapping",
    filesTotal: 0,
    datapointsReplayed: 0,
    datapointsSkipped: 0,
    skippedBytes: 0,
    corruptFiles: [],
    volumesServed: 0,
    volumesCorrupt: [],
    snapshotDatapoints: 0,
    indexDocsLoaded: 0,
    error: null,
  };
  /** Resolves when bootstrap has finished (rejects if it failed). */
  readonly bootstrapped: Promise<void>;
  // Scratch for a batch's accepted datapoints and their write types.
  private accepted = new Int32Array(1024);
  private acceptedType = new Uint8Array(1024);

  private constructor(options: DatabaseOptions) {
    this.clock = options.clock ?? systemClock;
    this.fs = options.fs ?? nodeFileSystem;
    this.numShards = options.numShards ?? DEFAULTS.numShards;
    this.shardSeed = options.shardSeed ?? 0;
    this.maxIdBytes = options.maxIdBytes ?? DEFAULTS.maxIdBytes;
    this.maxTags = options.maxTags ?? DEFAULTS.maxTags;
    this.tickBatch = options.tickSeriesBatchSize ?? DEFAULTS.tickSeriesBatchSize;
    this.tickIntervalMs = options.tickIntervalMs ?? DEFAULTS.tickIntervalMs;
    this.logger = options.logger ?? silentLogger;
    this.cache = new BlockCache(resolveCacheOptions(options.cache));
    this.metrics = new StorageMetrics(
      options.metrics ?? new Registry(),
      () =>
        [...this.namespaces.values()].map((ns) => ({ namespace: ns.name, count: ns.seriesCount })),
      () => this.cache,
      () => this.log?.pendingBytes ?? 0,
    );
    const snapshotIntervalMs = options.snapshotIntervalMs ?? DEFAULTS.snapshotIntervalMs;
    if (!Number.isSafeInteger(snapshotIntervalMs) || snapshotIntervalMs < 0) {
      throw new RangeError(`snapshotIntervalMs must be an integer >= 0, got ${snapshotIntervalMs}`);
    }
    this.snapshotIntervalMs = snapshotIntervalMs;
    this.indexVolumes =
      options.dataDir === null ? null : new IndexVolumes(options.dataDir, this.fs);
    this.disk =
      options.dataDir === null
        ? null
        : new DiskBlocks(
            options.dataDir,
            new FileHandlePool(options.maxOpenFiles ?? DEFAULTS.maxOpenFiles, this.fs),
            this.cache,
            (id, err) =>
              this.logger.error(
                { volume: id, err: String(err) },
                "removing a fileset volume failed",
              ),
          );
    this.metrics.setBootstrapState("bootstrapping");
    this.dataDir = options.dataDir;
    this.commitLogOptions = options.commitLog ?? { strategy: "wait" };
    this.bootstrapped = Promise.resolve();
  }

  /**
   * Opens a database: loads the namespace registry, then bootstraps from the
   * commit logs in the background (`bootstrapped` says when it is done; reads
   * and writes before then fail with BootstrappingError).
   */
  static async open(options: DatabaseOptions): Promise<Database> {
    if (!Number.isInteger(options.numShards ?? 1) || (options.numShards ?? 1) < 1) {
      throw new RangeError(`numShards must be a positive integer, got ${options.numShards}`);
    }
    const db = new Database(options);
    if (db.dataDir !== null) {
      await db.fs.mkdir(db.dataDir, { recursive: true });
      for (const { name, options, commitLogFrom } of await loadRegistry(db.dataDir, db.fs)) {
        db.namespaces.set(name, new Namespace(name, options, db.numShards, commitLogFrom));
      }
    }
    (db as { bootstrapped: Promise<void> }).bootstrapped = db.bootstrap();
    // A failed bootstrap is reported through `progress` and the promise; keep
    // it from surfacing as an unhandled rejection when nobody awaits it.
    db.bootstrapped.catch(() => {});
    return db;
  }

  /** Bootstrap state and counts, for the node's status endpoint. */
  get bootstrapProgress(): BootstrapProgress {
    return {
      ...this.progress,
      corruptFiles: [...this.progress.corruptFiles],
      volumesCorrupt: [...this.progress.volumesCorrupt],
    };
  }

  nextSeq(): number {
    return ++this.seq;
  }

  // ---- namespaces ----------------------------------------------------------

  /**
   * Creates a namespace with M3's defaults for every option not given. It is
   * visible (takes writes) only once the registry holding it is saved.
   */
  async createNamespace(
    name: string,
    input: NamespaceOptionsInput = {},
  ): Promise<NamespaceOptions> {
    validateNamespaceName(name);
    const options = resolveNamespaceOptions(input);
    await this.bootstrapped;
    return this.changeRegistry(async () => {
      if (this.namespaces.has(name)) throw new NamespaceExistsError(name);
      // Volumes a dropped namespace of this name left behind (a drop cut
      // short, a snapshot taken before the drop) must not become this one's.
      await this.removeNamespaceFiles(name);
      // Its commit-log records start in a fresh file: replay gives it only
      // records from there on, never those of a dropped namespace of its name.
      const commitLogFrom = await this.freshCommitLogIndex();
      const ns = new Namespace(name, options, this.numShards, commitLogFrom);
      await this.saveNamespaces(this.registryEntries([...this.namespaces.values(), ns]));
      if (this.closed) throw new NodeStoppingError(`create namespace "${name}"`);
      this.namespaces.set(name, ns);
      return options;
    });
  }

  /** Every namespace with its options, by name. */
  listNamespaces(): { name: string; options: NamespaceOptions }[] {
    return [...this.namespaces.values()]
      .map((ns) => ({ name: ns.name, options: ns.options }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Changes the options M3 allows to change on a live namespace, once the registry holds them. */
  async updateNamespace(name: string, input: NamespaceOptionsInput): Promise<NamespaceOptions> {
    this.namespaceOf(name);
    await this.bootstrapped;
    return this.changeRegistry(async () => {
      const ns = this.namespaceOf(name);
      const options = namespaceOptionsUpdate(ns.options, input);
      const entries = this.registryEntries([...this.namespaces.values()]).map((e) =>
        e.name === name ? { ...e, options } : e,
      );
      await this.saveNamespaces(entries);
      if (this.namespaces.get(name) !== ns) {
        throw new NamespaceChangingError(name, "was dropped while its options were saved");
      }
      ns.options = options;
      return options;
    });
  }

  /**
   * Drops a namespace with its in-memory data and its filesets. A tick under
   * way finishes before the files go, so none of the namespace's volumes is
   * written after; a namespace of the same name can be created only after.
   */
  async dropNamespace(name: string): Promise<void> {
    this.namespaceOf(name);
    await this.bootstrapped;
    return this.changeRegistry(async () => {
      const ns = this.namespaceOf(name);
      const rest = [...this.namespaces.values()].filter((n) => n !== ns);
      await this.saveNamespaces(this.registryEntries(rest));
      this.namespaces.delete(name);
      if (this.disk === null || this.dataDir === null) return;
      await this.ticking?.catch(() => {});
      this.disk.forgetNamespace(name);
      this.indexVolumes?.forgetNamespace(name);
      await this.disk.drain();
      // Should this be cut short, the next create of the name removes what is left.
      await this.removeNamespaceFiles(name);
    });
  }

  /** Removes every volume a namespace of this name has (or had) on disk, durably. */
  private async removeNamespaceFiles(name: string): Promise<void> {
    if (this.dataDir === null) return;
    const dirs = [
      join(this.dataDir, "data", name),
      join(this.dataDir, "snapshots", name),
      indexVolumeDir(this.dataDir, name),
    ];
    for (const dir of dirs) {
      await this.fs.rm(dir, { recursive: true, force: true });
      // The removal survives a crash only once the parent directory is synced.
      await this.fs.mkdir(dirname(dir), { recursive: true });
      await this.fs.syncDir(dirname(dir));
    }
  }

  /**
   * Runs namespace changes one at a time: each saves the registry as it
   * will be, then changes memory, so saves land in order and memory never
   * holds what the registry lacks.
   */
  private changeRegistry<T>(change: () => Promise<T>): Promise<T> {
    const run = this.registryChain.then(() => {
      // A failed node's memory may not match its registry: change neither.
      if (this.failure !== null) throw new NodeFailedError("change namespaces", this.failure);
      return change();
    });
    this.registryChain = run.catch(() => {});
    return run;
  }

  private registryEntries(namespaces: readonly Namespace[]): RegistryEntry[] {
    return namespaces
      .map((ns) => ({ name: ns.name, options: ns.options, commitLogFrom: ns.commitLogFrom }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Rotates the commit log and returns the new file's index (0 without a log). */
  private async freshCommitLogIndex(): Promise<number> {
    if (this.log === null) return 0;
    await this.log.rotate();
    return this.log.currentIndex;
  }

  private namespaceOf(name: string): Namespace {
    const ns = this.namespaces.get(name);
    if (ns === undefined) throw new UnknownNamespaceError(name);
    return ns;
  }

  // ---- writes --------------------------------------------------------------

  /**
   * Writes a batch. Each datapoint is accepted or rejected on its own; the
   * accepted ones are in the commit log (under its strategy) before this
   * resolves. Throws only for what fails the whole batch: an unknown
   * namespace, bootstrap not finished, a commit log that cannot write.
   */
  async writeBatch(namespace: string, batch: WriteBatch): Promise<WriteResult> {
    this.checkWritable("write");
    const ns = this.namespaceOf(namespace);
    checkBatchShape(batch);
    const errors: { index: number; error: M3tsError }[] = [];
    const seriesErrors = new Map<number, M3tsError>();
    // Every resolved series stays pinned until its datapoints are in its
    // buffer (or the batch fails): the tick cannot remove it meanwhile.
    const refs = this.resolveSeries(ns, batch, seriesErrors);
    try {
      return await this.writeResolved(ns, batch, refs, seriesErrors, errors);
    } finally {
      for (let s = 0; s < refs.length; s++) if (refs[s] >= 0) ns.series.unpin(refs[s]);
    }
  }

  /** Refuses writes while the node cannot make them durable. */
  private checkWritable(what: string): void {
    if (this.failure !== null) throw new NodeFailedError(what, this.failure);
    if (this.closed) throw new NodeStoppingError(what);
    if (this.progress.state !== "bootstrapped") throw new BootstrappingError(what);
  }

  private async writeResolved(
    ns: Namespace,
    batch: WriteBatch,
    refs: Float64Array,
    seriesErrors: Map<number, M3tsError>,
    errors: { index: number; error: M3tsError }[],
  ): Promise<WriteResult> {
    // Validate every datapoint against the series, its time and the window.
    const n = batch.count;
    if (this.accepted.length < n) {
      this.accepted = new Int32Array(n);
      this.acceptedType = new Uint8Array(n);
    }
    const accepted = this.accepted;
    const acceptedType = this.acceptedType;
    const window = ns.window(this.clock.nowMs());
    const coldOk = ns.options.coldWritesEnabled;
    const { series, timesMs, nsInMs, units } = batch;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const s = series[i];
      const ref = refs[s];
      if (ref < 0) {
        errors.push({ index: i, error: seriesErrors.get(s) as M3tsError });
        continue;
      }
      const t = timesMs[i];
      const ns_ = nsInMs === undefined ? 0 : nsInMs[i];
      if (!Number.isSafeInteger(t) || !Number.isInteger(ns_) || ns_ < 0 || ns_ > 999_999) {
        errors.push({ index: i, error: badTime(t, ns_) });
        continue;
      }
      if (units !== undefined && !isWritableUnit(units[i])) {
        errors.push({
          index: i,
          error: new InvalidWriteError("unit", `time unit ${units[i]} is not s, ms, us or ns`),
        });
        continue;
      }
      let type: WriteType = WriteType.Warm;
      if (t < window.warmStartMs || t >= window.warmEndMs) {
        const why = outsideWindow(t, window, coldOk);
        if (why !== null) {
          const start = coldOk ? window.retentionStartMs : window.warmStartMs;
          const end = coldOk ? window.futureEndMs : window.warmEndMs;
          errors.push({ index: i, error: new WriteWindowError(ns.name, t, start, end, why) });
          continue;
        }
        type = WriteType.Cold;
      }
      accepted[count] = i;
      acceptedType[count] = type;
      count++;
    }

    if (count === 0 || !ns.options.writesToCommitLog || this.dataDir === null) {
      return this.applyToBuffers(ns, batch, refs, accepted, acceptedType, count, errors);
    }
    // Durable first: the commit log holds the batch before any buffer does.
    const log = this.log;
    if (log === null) throw new NodeStoppingError("write");
    try {
      for (let k = 0; k < count; k++) {
        const i = accepted[k];
        log.append(
          ns.series.metadata(refs[series[i]]),
          timesMs[i],
          nsInMs === undefined ? 0 : nsInMs[i],
          batch.values[i],
          units === undefined ? TimeUnit.Millisecond : units[i],
          batch.annotations?.[i] ?? null,
        );
      }
    } catch (err) {
      if (err instanceof CommitLogWriteError) this.failStop(err);
      if (err instanceof CommitLogClosedError) throw new NodeStoppingError("write");
      throw err;
    }
    // Copy out the accepted set: another batch may reuse the scratch during the await.
    const keep = accepted.slice(0, count);
    const keepType = acceptedType.slice(0, count);
    const applied = log.commit().then(
      () => {
        // The namespace may have been dropped (and even created again) while
        // the commit was awaited: its datapoints are not written, and say so.
        if (this.namespaces.get(ns.name) !== ns) {
          const why = new NamespaceChangingError(ns.name, "was dropped while the write waited");
          for (let k = 0; k < count; k++) errors.push({ index: keep[k], error: why });
          errors.sort((a, b) => a.index - b.index);
          this.countWrites(ns.name, 0, errors);
          return { written: 0, errors, refs };
        }
        return this.applyToBuffers(ns, batch, refs, keep, keepType, count, errors);
      },
      (err: unknown) => {
        if (err instanceof CommitLogWriteError) this.failStop(err);
        throw err;
      },
    );
    // A snapshot waits for the writes appended before its rotation (rotateForSnapshot).
    this.inflight.add(applied);
    try {
      return await applied;
    } finally {
      this.inflight.delete(applied);
    }
  }

  /**
   * Stops taking writes after the commit log failed: a failed write or sync
   * may have lost data the kernel had, so nothing is acknowledged again
   * until a restart replays what the disk holds (fail-stop; never retry a
   * failed fsync as if the data were safe).
   */
  private failStop(err: CommitLogWriteError | RegistryUncertainError): void {
    if (this.failure !== null) return;
    this.metrics.setBootstrapState("failed");
    if (err instanceof RegistryUncertainError) {
      this.failure = `its namespace registry could not be saved (${err.message})`;
      this.logger.error(
        { err: err.message, path: err.path },
        "namespace registry save failed: the node takes no more writes and reports not ready; " +
          "fix the I/O error, then restart it and check the namespaces it lists",
      );
      return;
    }
    this.failure = `its commit log failed (${err.message})`;
    this.logger.error(
      { err: err.message, path: err.path, op: err.op, osCode: err.osCode },
      "commit log failed: the node takes no more writes and reports not ready; " +
        "free disk space or fix the I/O error, then restart it to replay the commit log",
    );
  }

  /** Saves the registry; a save whose outcome on disk is unknown stops the node taking writes. */
  private async saveNamespaces(entries: RegistryEntry[]): Promise<void> {
    try {
      await saveRegistry(this.dataDir, entries, this.fs);
    } catch (err) {
      if (err instanceof RegistryUncertainError) this.failStop(err);
      throw err;
    }
  }

  /** Why the node takes no writes (its commit log or registry failed), or null while it does. */
  get failureReason(): string | null {
    return this.failure;
  }

  private applyToBuffers(
    ns: Namespace,
    batch: WriteBatch,
    refs: Float64Array,
    accepted: Int32Array,
    acceptedType: Uint8Array,
    count: number,
    errors: { index: number; error: M3tsError }[],
  ): WriteResult {
    const { series, timesMs, values, nsInMs, units, annotations } = batch;
    let written = 0;
    for (let k = 0; k < count; k++) {
      const i = accepted[k];
      const ref = refs[series[i]];
      const buffer = ns.series.buffers[ref];
      // Pinned since it was resolved: a missing buffer is a broken invariant, not a skip.
      if (buffer === null) {
        throw new Error(`series ref ${ref} of namespace ${ns.name} was removed while pinned`);
      }
      const t = timesMs[i];
      try {
        buffer.write(
          ns.blockStart(t),
          acceptedType[k] as WriteType,
          t,
          nsInMs === undefined ? 0 : nsInMs[i],
          values[i],
          units === undefined ? TimeUnit.Millisecond : units[i],
          annotations?.[i] ?? null,
          this,
        );
        ns.indexWrite(ref, t);
        written++;
      } catch (e) {
        if (!(e instanceof M3tsError)) throw e;
        errors.push({ index: i, error: e });
      }
    }
    if (errors.length > 1) errors.sort((a, b) => a.index - b.index);
    this.countWrites(ns.name, written, errors);
    return { written, errors, refs };
  }

  private countWrites(namespace: string, written: number, errors: { error: M3tsError }[]): void {
    if (written > 0) this.metrics.datapointsWritten.inc({ namespace }, written);
    for (const { error } of errors)
      this.metrics.datapointsRejected.inc({ namespace, code: error.code });
  }

  /**
   * Finds or creates the batch's series and pins each one found; -1 (with
   * the reason in `seriesErrors`) where it cannot.
   */
  private resolveSeries(
    ns: Namespace,
    batch: WriteBatch,
    seriesErrors: Map<number, M3tsError>,
  ): Float64Array {
    const ids = batch.seriesIds;
    const table = ns.series;
    const refs = new Float64Array(ids.length);
    for (let s = 0; s < ids.length; s++) {
      const given = batch.seriesRefs?.[s] ?? -1;
      let ref: number;
      if (given >= 0 && table.ids[given] === ids[s]) {
        ref = given;
      } else {
        const known = table.byId.get(ids[s]);
        if (known !== undefined) {
          ref = known;
        } else {
          try {
            ref = this.createSeries(ns, ids[s], batch.seriesTags?.[s] ?? null);
          } catch (e) {
            if (!(e instanceof M3tsError)) throw e;
            refs[s] = -1;
            seriesErrors.set(s, e);
            continue;
          }
        }
      }
      table.pin(ref);
      refs[s] = ref;
    }
    return refs;
  }

  private createSeries(ns: Namespace, id: string, encodedTags: Uint8Array | null): number {
    if (id.length === 0) throw new InvalidSeriesError("id", "series ID is empty");
    const idBytes = utf8.encode(id);
    if (idBytes.length > this.maxIdBytes) {
      throw new InvalidSeriesError(
        "id",
        `series ID of ${idBytes.length} bytes is longer than the limit of ${this.maxIdBytes} bytes`,
      );
    }
    if (encodedTags === null) {
      throw new InvalidSeriesError(
        "tags",
        `new series ${JSON.stringify(id.slice(0, 200))} was written without its tags`,
      );
    }
    const tagCount = checkEncodedTags(encodedTags); // throws InvalidTagsError naming what is wrong
    if (tagCount > this.maxTags) {
      throw new InvalidSeriesError(
        "tags",
        `series has ${tagCount} tags, more than the limit of ${this.maxTags}`,
      );
    }
    checkCanonical(id, idBytes, encodedTags);
    this.metrics.seriesCreated.inc({ namespace: ns.name });
    return ns.addSeries(
      id,
      ++this.seriesIndex,
      shardOf(idBytes, this.numShards, this.shardSeed),
      encodedTags,
      true,
    );
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
    if (this.progress.state !== "bootstrapped") throw new BootstrappingError("read");
    const ns = this.namespaceOf(namespace);
    const streams = await readSeriesStreams(this.readContext, ns, id, startMs, endMs);
    const it = new MultiStreamIterator();
    it.reset(streams);
    return it;
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
    if (this.progress.state !== "bootstrapped") throw new BootstrappingError("read");
    const index = this.namespaceOf(namespace).index;
    if (index === null) throw new IndexDisabledError(namespace);
    return index;
  }

  /** Number of live series in a namespace. */
  seriesCount(namespace: string): number {
    return this.namespaceOf(namespace).seriesCount;
  }

  // ---- tick ----------------------------------------------------------------

  /**
   * One pass over every series: merges buckets holding several encoders,
   * drops blocks past retention and series left empty, rotates the commit
   * log at block boundaries; then a flush run (flush-manager.ts: retention
   * of volumes, warm and cold flushes, a snapshot when due, cleanup) and
   * removal of commit logs whose data has all expired. Yields to the event
   * loop every `tickSeriesBatchSize` series.
   */
  tick(): Promise<TickResult> {
    // One pass at a time: a caller asking during a pass shares it.
    if (this.ticking === null) {
      this.ticking = this.tickPass().finally(() => {
        this.ticking = null;
      });
    }
    return this.ticking;
  }

  private async tickPass(): Promise<TickResult> {
    const result: TickResult = {
      series: 0,
      bucketsMerged: 0,
      blocksExpired: 0,
      seriesRemoved: 0,
      commitLogsRemoved: 0,
      warmFlushes: 0,
      coldFlushes: 0,
      flushFailures: 0,
      volumesExpired: 0,
      indexFlushes: 0,
      indexFlushFailures: 0,
      snapshotTaken: false,
    };
    if (this.progress.state !== "bootstrapped") return result;
    await this.maybeRotateLog();
    let sinceYield = 0;
    for (const ns of [...this.namespaces.values()]) {
      ns.index?.dropBlocksBefore(ns.retentionCutoff(this.clock.nowMs()));
      ns.pruneRemoved(this.clock.nowMs());
      const table = ns.series;
      for (let ref = 0; ref < table.buffers.length; ref++) {
        const buffer = table.buffers[ref];
        if (buffer === null) continue;
        const cutoff = this.clock.nowMs() - ns.options.retentionPeriodMs;
        result.blocksExpired += buffer.dropBlocksBefore(cutoff, ns.options.blockSizeMs);
        result.bucketsMerged += buffer.mergeEncoders();
        // A write in flight may have resolved the series (it is pinned until
        // its datapoints are in the buffer), and a flush may hold its buckets.
        if (buffer.isEmpty() && !table.isPinned(ref) && !ns.flushing.has(ref)) {
          ns.removeSeries(ref, this.clock.nowMs());
          result.seriesRemoved++;
        }
        result.series++;
        if (++sinceYield >= this.tickBatch) {
          sinceYield = 0;
          await yieldToLoop();
          if (this.namespaces.get(ns.name) !== ns) break;
        }
      }
      ns.reclaim();
    }
    if (this.flusher !== null && !this.closed) {
      const run: FlushRunResult = await this.flusher.run();
      result.warmFlushes = run.warmFlushes;
      result.coldFlushes = run.coldFlushes;
      result.flushFailures = run.flushFailures;
      result.volumesExpired = run.volumesExpired;
      result.indexFlushes = run.indexFlushes;
      result.indexFlushFailures = run.indexFlushFailures;
      result.snapshotTaken = run.snapshotTaken;
      result.commitLogsRemoved += run.commitLogsRemoved;
    }
    result.commitLogsRemoved += await this.removeExpiredLogs();
    this.metrics.tickPasses.inc();
    this.metrics.blocksExpired.inc(result.blocksExpired);
    this.metrics.bucketsMerged.inc(result.bucketsMerged);
    return result;
  }

  /** Runs a tick every tickIntervalMs (after the previous one ends) until close. */
  private scheduleTick(): void {
    if (this.tickIntervalMs <= 0 || this.closed) return;
    this.tickTimer = setTimeout(() => {
      this.tickTimer = null;
      this.tick()
        .catch((e: unknown) => this.logger.error({ err: String(e) }, "tick failed"))
        .finally(() => this.scheduleTick());
    }, this.tickIntervalMs);
    this.tickTimer.unref();
  }

  /** Rotates the commit log when the clock has crossed into a new block period. */
  private async maybeRotateLog(): Promise<void> {
    if (this.log === null) return;
    const period = this.rotationPeriodMs();
    const start = Math.floor(this.clock.nowMs() / period) * period;
    if (start !== this.logPeriodStartMs) {
      await this.log.rotate();
      this.logPeriodStartMs = start;
    }
  }

  /** The commit log turns over at the smallest block boundary of any namespace (2 h if none). */
  private rotationPeriodMs(): number {
    let period = Number.POSITIVE_INFINITY;
    for (const ns of this.namespaces.values()) period = Math.min(period, ns.options.blockSizeMs);
    return Number.isFinite(period) ? period : 2 * 3600_000;
  }

  /**
   * Deletes closed commit logs none of whose datapoints can still be in
   * retention: a file last written at W holds nothing later than W plus the
   * furthest a write may reach into the future.
   */
  private async removeExpiredLogs(): Promise<number> {
    if (this.log === null || this.dataDir === null || this.namespaces.size === 0) return 0;
    let keepMs = 0;
    for (const ns of this.namespaces.values()) {
      const o = ns.options;
      keepMs = Math.max(
        keepMs,
        o.retentionPeriodMs + Math.max(o.bufferFutureMs, o.futureRetentionPeriodMs),
      );
    }
    const now = this.clock.nowMs();
    let removed = 0;
    for (const file of await listCommitLogFiles(this.commitLogDir(), this.fs)) {
      if (file.path === this.log.currentPath) continue;
      const info = await this.fs.stat(file.path);
      if (info.mtimeMs + keepMs < now) {
        await this.fs.rm(file.path, { force: true });
        removed++;
      }
    }
    return removed;
  }

  // ---- bootstrap -----------------------------------------------------------

  private commitLogDir(): string {
    return join(this.dataDir as string, "commitlogs");
  }

  private replayTarget(): ReplayTarget {
    return {
      namespaces: this.namespaces,
      nowMs: this.clock.nowMs(),
      numShards: this.numShards,
      shardSeed: this.shardSeed,
      nextSeriesIndex: () => ++this.seriesIndex,
      seqs: this,
    };
  }

  /**
   * Serves the data volumes, loads the latest snapshot, replays the commit
   * logs written after it into the buffers, then starts a fresh log file.
   */
  private async bootstrap(): Promise<void> {
    try {
      if (this.dataDir !== null && this.disk !== null) {
        const root = this.dataDir;
        const target = this.replayTarget();
        const onCorrupt = (kind: "data" | "snapshot", err: VolumeCorruptError) => {
          this.metrics.volumesCorrupt.inc({ kind });
          this.progress.volumesCorrupt.push(`${kind}: ${err.message}`);
          this.logger.error(
            { kind, volume: err.volume, file: err.file, reason: err.reason },
            "fileset volume failed verification and is not served; its data is recovered from the commit log where the log still holds it",
          );
        };
        // Series indexed from now until the replay ends come from disk, not
        // from live writes: the blocks they land in are marked restored.
        for (const ns of this.namespaces.values()) if (ns.index !== null) ns.index.restoring = true;
        const indexed = await (this.indexVolumes as IndexVolumes).bootstrap(
          this.namespaces,
          target.nowMs,
          (err) => {
            this.metrics.volumesCorrupt.inc({ kind: "index" });
            this.progress.volumesCorrupt.push(`index: ${err.message}`);
            this.logger.error(
              { kind: "index", err: err.message },
              "index volume failed verification and is not loaded; its block is indexed again from the data volumes and the commit log",
            );
          },
        );
        this.progress.indexDocsLoaded = indexed.docs;
        const volumes = await bootstrapDataVolumes(
          root,
          target,
          this.disk,
          this.cache,
          onCorrupt,
          indexed.loaded,
        );
        this.progress.volumesServed = volumes.served;
        const snap = await bootstrapSnapshot(
          this.fs,
          root,
          target,
          this.progress,
          this.logger,
          onCorrupt,
        );
        this.progress.snapshotDatapoints = snap.datapoints;
        const dir = this.commitLogDir();
        await replayCommitLogInto(
          this.fs,
          dir,
          target,
          this.progress,
          this.logger,
          snap.commitLogIndex,
        );
        for (const ns of this.namespaces.values())
          if (ns.index !== null) ns.index.restoring = false;
        const m = this.metrics;
        m.bootstrapReplayed.inc(this.progress.datapointsReplayed);
        m.bootstrapSkipped.inc(this.progress.datapointsSkipped);
        m.bootstrapSkippedBytes.inc(this.progress.skippedBytes);
        m.bootstrapCorruptFiles.inc(this.progress.corruptFiles.length);
        this.logger.info(
          {
            volumesServed: volumes.served,
            volumesRemoved: volumes.removed,
            snapshot: snap.index,
            snapshotDatapoints: snap.datapoints,
          },
          "bootstrapped from filesets and snapshot",
        );
        this.log = await CommitLog.open({
          dir,
          strategy: this.commitLogOptions?.strategy ?? "wait",
          flushIntervalMs: this.commitLogOptions?.flushIntervalMs,
          flushMaxBytes: this.commitLogOptions?.flushMaxBytes,
          now: () => this.clock.nowMs(),
          fs: this.fs,
        });
        const period = this.rotationPeriodMs();
        this.logPeriodStartMs = Math.floor(this.clock.nowMs() / period) * period;
        this.flusher = new FlushManager(
          this.flushHost(root),
          this.snapshotIntervalMs,
          snap.nextIndex,
        );
      }
      this.progress.state = "bootstrapped";
      this.metrics.setBootstrapState("bootstrapped");
      this.logger.info(
        {
          files: this.progress.filesTotal,
          datapointsReplayed: this.progress.datapointsReplayed,
          datapointsSkipped: this.progress.datapointsSkipped,
          skippedBytes: this.progress.skippedBytes,
        },
        "bootstrapped",
      );
      this.scheduleTick();
    } catch (e) {
      this.progress.state = "failed";
      this.metrics.setBootstrapState("failed");
      this.progress.error = e instanceof Error ? e.message : String(e);
      this.logger.error({ err: this.progress.error }, "bootstrap failed");
      throw e;
    }
  }

  private readContextCache: ReadContext | null = null;

  private get readContext(): ReadContext {
    this.readContextCache ??= {
      disk: this.disk,
      cache: this.cache,
      clock: this.clock,
      metrics: this.metrics,
      logger: this.logger,
      numShards: this.numShards,
      shardSeed: this.shardSeed,
    };
    return this.readContextCache;
  }

  private flushHost(root: string): FlushHost {
    return {
      fs: this.fs,
      root,
      commitLogDir: this.commitLogDir(),
      disk: this.disk as DiskBlocks,
      indexVolumes: this.indexVolumes as IndexVolumes,
      cache: this.cache,
      logger: this.logger,
      metrics: this.metrics,
      nowMs: () => this.clock.nowMs(),
      namespaces: () => [...this.namespaces.values()],
      isLive: (ns) => this.namespaces.get(ns.name) === ns,
      closing: () => this.closed,
      rotateCommitLog: () => this.rotateForSnapshot(),
      currentCommitLogIndex: () => this.log?.currentIndex ?? null,
    };
  }

  /**
   * Rotates the commit log, then waits for the writes appended before the
   * rotation to reach the buffers: a snapshot taken after this holds every
   * datapoint of the older files. Resolves with the new file's index.
   */
  private async rotateForSnapshot(): Promise<number | null> {
    if (this.log === null) return null;
    const before = [...this.inflight];
    await this.log.rotate();
    await Promise.allSettled(before);
    return this.log.currentIndex;
  }

  // ---- registry and lifecycle ---------------------------------------------

  /** Stops the background tick, flushes and closes the commit log, closes the volumes' files. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.tickTimer !== null) clearTimeout(this.tickTimer);
    this.tickTimer = null;
    await this.bootstrapped.catch(() => {});
    await this.ticking?.catch(() => {});
    let logError: unknown = null;
    if (this.log !== null) await this.log.close().catch((e: unknown) => (logError = e));
    // Writes whose commit the close completed put their datapoints in the
    // buffers (or fail) before the database reports closed.
    await Promise.allSettled([...this.inflight]);
    this.log = null;
    if (this.disk !== null) {
      await this.disk.close();
      await this.disk.handles.close();
    }
    if (logError !== null) throw logError;
  }
}

/**
 * One series, one ID: the ID must be the canonical (M3 "quoted") ID of its
 * tags, and the tags sorted by name without repeats, or two writers could
 * create two series for the same tags.
 */
function checkCanonical(id: string, idBytes: Uint8Array, encodedTags: Uint8Array): void {
  const tags = decodeTags(encodedTags);
  for (let i = 1; i < tags.length; i++) {
    if (compareUtf8(tags[i - 1][0], tags[i][0]) >= 0) {
      throw new InvalidSeriesError(
        "tags",
        `tags must be sorted by name without repeats: "${tags[i - 1][0]}" comes before "${tags[i][0]}"`,
      );
    }
  }
  const canonical = seriesIdOfEncodedTags(encodedTags);
  if (canonical.length !== idBytes.length || canonical.some((b, i) => b !== idBytes[i])) {
    throw new InvalidSeriesError(
      "id",
      `series ID ${JSON.stringify(id.slice(0, 200))} is not the canonical ID of its tags, ` +
        `${JSON.stringify(new TextDecoder().decode(canonical).slice(0, 200))}`,
    );
  }
}
