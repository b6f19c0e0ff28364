// The database: namespaces of series buffers in memory, a node-wide commit log
// in front of them, bootstrap from that log on open, and the tick that keeps
// buffers compact and drops data past retention.
//
// One event loop owns all of this state; writes, reads and the tick interleave
// only at their awaits.
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { MultiStreamIterator } from "../../codec/index.js";
import {
  type Clock,
  checkEncodedTags,
  DEFAULT_MAX_TAGS,
  type Logger,
  M3tsError,
  shardOf,
  silentLogger,
  systemClock,
  TimeUnit,
} from "../../x/index.js";
import {
  CommitLog,
  type CommitLogStrategy,
  listCommitLogFiles,
  type ReplayStats,
  replayCommitLogs,
  type SeriesMetadata,
} from "../commitlog/index.js";
import {
  type NamespaceOptions,
  type NamespaceOptionsInput,
  namespaceOptionsUpdate,
  resolveNamespaceOptions,
  validateNamespaceName,
} from "../namespace/index.js";
import {
  BootstrappingError,
  InvalidSeriesError,
  InvalidWriteError,
  NamespaceExistsError,
  UnknownNamespaceError,
  WriteWindowError,
} from "./errors.js";
import { Namespace } from "./namespace.js";
import { type SequenceSource, type SeriesBuffer, WriteType } from "./series-buffer.js";

export interface DatabaseOptions {
  /** Directory for the commit log and the namespace registry; null keeps everything in memory. */
  dataDir: string | null;
  clock?: Clock;
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
}

/**
 * A batch of datapoints in columns. Datapoint i belongs to series
 * `series[i]`, an index into `seriesIds`; `seriesTags` (M3's tag encoding)
 * is needed only for series the database has not seen, and `seriesRefs`
 * (from an earlier result, -1 when unknown) skips the ID lookup.
 */
export interface WriteBatch {
  count: number;
  series: ArrayLike<number>;
  timesMs: ArrayLike<number>;
  /** A Float64Array keeps NaN payloads (stale markers); plain arrays of doubles may not. */
  values: ArrayLike<number>;
  seriesIds: readonly string[];
  seriesTags?: readonly (Uint8Array | null)[];
  seriesRefs?: ArrayLike<number>;
  nsInMs?: ArrayLike<number>;
  units?: ArrayLike<number>;
  annotations?: readonly (Uint8Array | null)[];
}

export interface WriteResult {
  /** Datapoints accepted. */
  written: number;
  /** One entry per rejected datapoint, by index in the batch. */
  errors: { index: number; error: M3tsError }[];
  /** The ref of each series of the batch (-1 where it could not be created), for the next batch. */
  refs: Float64Array;
}

export type BootstrapState = "bootstrapping" | "bootstrapped" | "failed";

export interface BootstrapProgress {
  state: BootstrapState;
  filesTotal: number;
  datapointsReplayed: number;
  datapointsSkipped: number;
  skippedBytes: number;
  corruptFiles: string[];
  error: string | null;
}

export interface TickResult {
  series: number;
  bucketsMerged: number;
  blocksExpired: number;
  seriesRemoved: number;
  commitLogsRemoved: number;
}

const DEFAULTS = {
  numShards: 64,
  maxIdBytes: 16 * 1024,
  maxTags: DEFAULT_MAX_TAGS,
  tickSeriesBatchSize: 512,
  tickIntervalMs: 10_000,
};

const REGISTRY_FILE = "namespaces.json";
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
  readonly logger: Logger;
  private readonly dataDir: string | null;
  private readonly commitLogOptions: DatabaseOptions["commitLog"];
  private readonly namespaces = new Map<string, Namespace>();
  private log: CommitLog | null = null;
  private logPeriodStartMs = 0;
  private seq = 0;
  private seriesIndex = 0;
  private progress: BootstrapProgress = {
    state: "bootstrapping",
    filesTotal: 0,
    datapointsReplayed: 0,
    datapointsSkipped: 0,
    skippedBytes: 0,
    corruptFiles: [],
    error: null,
  };
  /** Resolves when bootstrap has finished (rejects if it failed). */
  readonly bootstrapped: Promise<void>;
  // Scratch for a batch's accepted datapoints and their write types.
  private accepted = new Int32Array(1024);
  private acceptedType = new Uint8Array(1024);

  private constructor(options: DatabaseOptions) {
    this.clock = options.clock ?? systemClock;
    this.numShards = options.numShards ?? DEFAULTS.numShards;
    this.shardSeed = options.shardSeed ?? 0;
    this.maxIdBytes = options.maxIdBytes ?? DEFAULTS.maxIdBytes;
    this.maxTags = options.maxTags ?? DEFAULTS.maxTags;
    this.tickBatch = options.tickSeriesBatchSize ?? DEFAULTS.tickSeriesBatchSize;
    this.tickIntervalMs = options.tickIntervalMs ?? DEFAULTS.tickIntervalMs;
    this.logger = options.logger ?? silentLogger;
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
      await mkdir(db.dataDir, { recursive: true });
      await db.loadRegistry();
    }
    (db as { bootstrapped: Promise<void> }).bootstrapped = db.bootstrap();
    // A failed bootstrap is reported through `progress` and the promise; keep
    // it from surfacing as an unhandled rejection when nobody awaits it.
    db.bootstrapped.catch(() => {});
    return db;
  }

  /** Bootstrap state and counts, for the node's status endpoint. */
  get bootstrapProgress(): BootstrapProgress {
    return { ...this.progress, corruptFiles: [...this.progress.corruptFiles] };
  }

  nextSeq(): number {
    return ++this.seq;
  }

  // ---- namespaces ----------------------------------------------------------

  /** Creates a namespace with M3's defaults for every option not given. */
  async createNamespace(
    name: string,
    input: NamespaceOptionsInput = {},
  ): Promise<NamespaceOptions> {
    validateNamespaceName(name);
    if (this.namespaces.has(name)) throw new NamespaceExistsError(name);
    const options = resolveNamespaceOptions(input);
    this.namespaces.set(name, new Namespace(name, options, this.numShards));
    await this.saveRegistry();
    return options;
  }

  /** Every namespace with its options, by name. */
  listNamespaces(): { name: string; options: NamespaceOptions }[] {
    return [...this.namespaces.values()]
      .map((ns) => ({ name: ns.name, options: ns.options }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Changes the options M3 allows to change on a live namespace. */
  async updateNamespace(name: string, input: NamespaceOptionsInput): Promise<NamespaceOptions> {
    const ns = this.namespaceOf(name);
    ns.options = namespaceOptionsUpdate(ns.options, input);
    await this.saveRegistry();
    return ns.options;
  }

  /** Drops a namespace and its in-memory data. */
  async dropNamespace(name: string): Promise<void> {
    this.namespaceOf(name);
    this.namespaces.delete(name);
    await this.saveRegistry();
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
    if (this.progress.state !== "bootstrapped") throw new BootstrappingError("write");
    const ns = this.namespaceOf(namespace);
    checkBatchShape(batch);
    const errors: { index: number; error: M3tsError }[] = [];
    const refs = this.resolveSeries(ns, batch);

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
        errors.push({ index: i, error: this.seriesErrors.get(s) as M3tsError });
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
    this.seriesErrors.clear();

    // Durable first: the commit log holds the batch before any buffer does.
    if (count > 0 && ns.options.writesToCommitLog && this.log !== null) {
      const log = this.log;
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
      // Copy out the accepted set: another batch may reuse the scratch during the await.
      const keep = accepted.slice(0, count);
      const keepType = acceptedType.slice(0, count);
      await log.commit();
      if (this.namespaces.get(namespace) !== ns) return { written: 0, errors, refs };
      return this.applyToBuffers(ns, batch, refs, keep, keepType, count, errors);
    }
    return this.applyToBuffers(ns, batch, refs, accepted, acceptedType, count, errors);
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
      const buffer = ns.series.buffers[refs[series[i]]];
      if (buffer === null) continue;
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
        written++;
      } catch (e) {
        if (!(e instanceof M3tsError)) throw e;
        errors.push({ index: i, error: e });
      }
    }
    if (errors.length > 1) errors.sort((a, b) => a.index - b.index);
    return { written, errors, refs };
  }

  private readonly seriesErrors = new Map<number, M3tsError>();

  /** Finds or creates the batch's series; -1 (with the reason in seriesErrors) where it cannot. */
  private resolveSeries(ns: Namespace, batch: WriteBatch): Float64Array {
    const ids = batch.seriesIds;
    const refs = new Float64Array(ids.length);
    for (let s = 0; s < ids.length; s++) {
      const given = batch.seriesRefs?.[s] ?? -1;
      if (given >= 0 && ns.series.ids[given] === ids[s]) {
        refs[s] = given;
        continue;
      }
      const known = ns.series.byId.get(ids[s]);
      if (known !== undefined) {
        refs[s] = known;
        continue;
      }
      try {
        refs[s] = this.createSeries(ns, ids[s], batch.seriesTags?.[s] ?? null);
      } catch (e) {
        if (!(e instanceof M3tsError)) throw e;
        refs[s] = -1;
        this.seriesErrors.set(s, e);
      }
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
    return ns.addSeries(
      id,
      ++this.seriesIndex,
      shardOf(idBytes, this.numShards, this.shardSeed),
      encodedTags,
    );
  }

  // ---- reads ---------------------------------------------------------------

  /**
   * The datapoints of one series in [startMs, endMs), merged across its
   * buckets and encoders (datapoints outside the range but in the same
   * blocks may be included; callers trim).
   */
  fetch(namespace: string, id: string, startMs: number, endMs: number): MultiStreamIterator {
    if (this.progress.state !== "bootstrapped") throw new BootstrappingError("read");
    const ns = this.namespaceOf(namespace);
    const it = new MultiStreamIterator();
    const ref = ns.series.byId.get(id);
    const streams: Uint8Array[] = [];
    if (ref !== undefined) {
      ns.series.buffers[ref]?.streams(startMs, endMs, ns.options.blockSizeMs, streams);
    }
    it.reset(streams);
    return it;
  }

  /** Number of live series in a namespace. */
  seriesCount(namespace: string): number {
    return this.namespaceOf(namespace).seriesCount;
  }

  // ---- tick ----------------------------------------------------------------

  /**
   * One pass over every series: merges buckets holding several encoders,
   * drops blocks past retention and series left empty, rotates the commit
   * log at block boundaries and removes logs whose data has all expired.
   * Yields to the event loop every `tickSeriesBatchSize` series.
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
    };
    if (this.progress.state !== "bootstrapped") return result;
    await this.maybeRotateLog();
    let sinceYield = 0;
    for (const ns of [...this.namespaces.values()]) {
      const table = ns.series;
      for (let ref = 0; ref < table.buffers.length; ref++) {
        const buffer = table.buffers[ref];
        if (buffer === null) continue;
        const cutoff = this.clock.nowMs() - ns.options.retentionPeriodMs;
        result.blocksExpired += buffer.dropBlocksBefore(cutoff, ns.options.blockSizeMs);
        result.bucketsMerged += buffer.mergeEncoders();
        if (buffer.isEmpty()) {
          table.remove(ref);
          result.seriesRemoved++;
        }
        result.series++;
        if (++sinceYield >= this.tickBatch) {
          sinceYield = 0;
          await yieldToLoop();
          if (this.namespaces.get(ns.name) !== ns) break;
        }
      }
    }
    result.commitLogsRemoved = await this.removeExpiredLogs();
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
    for (const file of await listCommitLogFiles(this.commitLogDir())) {
      if (file.path === this.log.currentPath) continue;
      const info = await stat(file.path);
      if (info.mtimeMs + keepMs < now) {
        await rm(file.path, { force: true });
        removed++;
      }
    }
    return removed;
  }

  // ---- bootstrap -----------------------------------------------------------

  private commitLogDir(): string {
    return join(this.dataDir as string, "commitlogs");
  }

  /** Replays the commit logs into the buffers, then starts a fresh log file. */
  private async bootstrap(): Promise<void> {
    try {
      if (this.dataDir !== null) {
        const dir = this.commitLogDir();
        const files = await listCommitLogFiles(dir);
        this.progress.filesTotal = files.length;
        const stats: ReplayStats = await replayCommitLogs(
          dir,
          (meta, timeMs, nsInMs, value, unit, annotation) =>
            this.replayDatapoint(meta, timeMs, nsInMs, value, unit, annotation),
        );
        this.progress.skippedBytes = stats.skippedBytes;
        for (const file of stats.corruptFiles) {
          this.logger.warn(
            { file },
            "commit log file has an unreadable header; none of it was replayed",
          );
        }
        for (const skip of stats.skipped) {
          this.logger.warn(
            skip,
            "commit log replay stopped early in a file; the rest of the file was skipped",
          );
        }
        this.progress.corruptFiles = [
          ...stats.corruptFiles,
          ...stats.skipped.map((s) => `${s.file}@${s.offset}: ${s.reason}`),
        ];
        this.log = await CommitLog.open({
          dir,
          strategy: this.commitLogOptions?.strategy ?? "wait",
          flushIntervalMs: this.commitLogOptions?.flushIntervalMs,
          flushMaxBytes: this.commitLogOptions?.flushMaxBytes,
          now: () => this.clock.nowMs(),
        });
        const period = this.rotationPeriodMs();
        this.logPeriodStartMs = Math.floor(this.clock.nowMs() / period) * period;
      }
      this.replaySeries.clear();
      this.progress.state = "bootstrapped";
      this.logger.info(
        {
          files: this.progress.filesTotal,
          datapointsReplayed: this.progress.datapointsReplayed,
          datapointsSkipped: this.progress.datapointsSkipped,
          skippedBytes: this.progress.skippedBytes,
        },
        "bootstrapped from the commit log",
      );
      this.scheduleTick();
    } catch (e) {
      this.progress.state = "failed";
      this.progress.error = e instanceof Error ? e.message : String(e);
      this.logger.error({ err: this.progress.error }, "bootstrap failed");
      throw e;
    }
  }

  // Replayed series by (namespace, commit-log series index) within the replay.
  private replaySeries = new Map<SeriesMetadata, number>();

  private replayDatapoint(
    meta: SeriesMetadata,
    timeMs: number,
    nsInMs: number,
    value: number,
    unit: number,
    annotation: Uint8Array | null,
  ): void {
    const ns = this.namespaces.get(meta.namespace);
    const now = this.clock.nowMs();
    if (ns === undefined || timeMs < now - ns.options.retentionPeriodMs) {
      this.progress.datapointsSkipped++;
      return;
    }
    let ref = this.replaySeries.get(meta);
    if (ref === undefined) {
      const id = new TextDecoder().decode(meta.id);
      ref = ns.series.byId.get(id);
      if (ref === undefined) {
        const shard = shardOf(meta.id, this.numShards, this.shardSeed);
        ref = ns.addSeries(id, ++this.seriesIndex, shard, meta.encodedTags);
      }
      this.replaySeries.set(meta, ref);
    }
    const w = ns.window(now);
    const type = timeMs >= w.warmStartMs && timeMs < w.warmEndMs ? WriteType.Warm : WriteType.Cold;
    try {
      (ns.series.buffers[ref] as SeriesBuffer).write(
        ns.blockStart(timeMs),
        type,
        timeMs,
        nsInMs,
        value,
        unit,
        annotation,
        this,
      );
      this.progress.datapointsReplayed++;
    } catch (e) {
      if (!(e instanceof M3tsError)) throw e;
      this.progress.datapointsSkipped++;
    }
  }

  // ---- registry and lifecycle ---------------------------------------------

  private async loadRegistry(): Promise<void> {
    let text: string;
    try {
      text = await readFile(join(this.dataDir as string, REGISTRY_FILE), "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      throw e;
    }
    const saved = JSON.parse(text) as {
      namespaces: { name: string; options: NamespaceOptionsInput }[];
    };
    for (const { name, options } of saved.namespaces) {
      this.namespaces.set(
        name,
        new Namespace(name, resolveNamespaceOptions(options), this.numShards),
      );
    }
  }

  /** Writes the registry atomically: a temporary file, then a rename over the old one. */
  private async saveRegistry(): Promise<void> {
    if (this.dataDir === null) return;
    const path = join(this.dataDir, REGISTRY_FILE);
    const body = JSON.stringify({ namespaces: this.listNamespaces() }, null, 2);
    await writeFile(`${path}.tmp`, body, { flush: true });
    await rename(`${path}.tmp`, path);
  }

  /** Stops the background tick, then flushes and closes the commit log. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.tickTimer !== null) clearTimeout(this.tickTimer);
    this.tickTimer = null;
    await this.bootstrapped.catch(() => {});
    await this.ticking?.catch(() => {});
    if (this.log !== null) await this.log.close();
    this.log = null;
  }
}

function isWritableUnit(unit: number): boolean {
  return unit === 1 || unit === 2 || unit === 3 || unit === 4;
}

/** Why a datapoint outside the warm range is refused, or null when it is a valid cold write. */
function outsideWindow(
  t: number,
  w: { warmStartMs: number; warmEndMs: number; retentionStartMs: number; futureEndMs: number },
  coldOk: boolean,
): string | null {
  const past = t < w.warmStartMs;
  if (!coldOk) {
    return past
      ? `it is older than bufferPast allows and cold writes are disabled`
      : `it is further in the future than bufferFuture allows and cold writes are disabled`;
  }
  if (past && t < w.retentionStartMs) return "it is older than the namespace's retention";
  if (!past && t >= w.futureEndMs) return "it is further in the future than the namespace accepts";
  return null;
}

function badTime(t: number, ns: number): InvalidWriteError {
  return new InvalidWriteError(
    "time",
    `timestamp must be integer epoch milliseconds plus 0..999999 ns, got ${t} ms + ${ns} ns`,
  );
}

/** Rejects batches whose columns disagree in length: a caller bug, not a datapoint error. */
function checkBatchShape(b: WriteBatch): void {
  const n = b.count;
  const short = (name: string, col: ArrayLike<unknown> | undefined) => {
    if (col !== undefined && col.length < n) {
      throw new InvalidWriteError(
        name,
        `batch column ${name} has ${col.length} entries for ${n} datapoints`,
      );
    }
  };
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidWriteError("count", `batch count must be a non-negative integer, got ${n}`);
  short("series", b.series);
  short("timesMs", b.timesMs);
  short("values", b.values);
  short("nsInMs", b.nsInMs);
  short("units", b.units);
  short("annotations", b.annotations);
  for (let i = 0; i < n; i++) {
    const s = b.series[i];
    if (!(s >= 0 && s < b.seriesIds.length && Number.isInteger(s))) {
      throw new InvalidWriteError(
        "series",
        `datapoint ${i} refers to series ${s}; the batch defines ${b.seriesIds.length}`,
      );
    }
  }
}
