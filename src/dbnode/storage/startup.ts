// Opening a database's data directory: the bootstrap process (dbnode/
// bootstrap) loads the index and data volumes, the latest snapshot and the
// commit log into the namespaces; then a fresh commit log file opens for new
// writes and the flush runs start. The served volumes live from here until
// close, whether bootstrap succeeds or not.
import { DEFAULT_BOOTSTRAPPERS, runBootstrap } from "../bootstrap/index.js";
import { CommitLog } from "../commitlog/index.js";
import { FileHandlePool } from "../fs/index.js";
import type { BlockCache } from "./block-cache.js";
import { RestoreTarget } from "./bootstrap-target.js";
import { DiskBlocks } from "./disk-blocks.js";
import { type FlushHost, FlushManager } from "./flush-manager.js";
import { IndexVolumes } from "./index-volumes.js";
import type { Lifecycle } from "./lifecycle.js";
import type { StorageMetrics } from "./metrics.js";
import type { Namespaces } from "./namespaces.js";
import type { ResolvedDatabaseOptions } from "./options.js";
import { commitLogDirOf, type Persistence } from "./persistence.js";
import type { Sequences } from "./sequences.js";
import { logPeriodStart } from "./tick.js";
import type { WritePath } from "./write-path.js";

/** The parts of the database a start loads into and hands the persistence to. */
export interface StartupParts {
  readonly life: Lifecycle;
  readonly namespaces: Namespaces;
  readonly writes: WritePath;
  readonly sequences: Sequences;
  readonly cache: BlockCache;
  readonly metrics: StorageMetrics;
}

export class Startup {
  readonly dataDir: string;
  /** The data volumes reads are served from, filled by bootstrap. */
  readonly disk: DiskBlocks;
  readonly indexVolumes: IndexVolumes;
  private readonly options: ResolvedDatabaseOptions;
  private readonly parts: StartupParts;

  constructor(dataDir: string, options: ResolvedDatabaseOptions, parts: StartupParts) {
    this.dataDir = dataDir;
    this.options = options;
    this.parts = parts;
    const { fs, logger } = options;
    this.indexVolumes = new IndexVolumes(dataDir, fs);
    this.disk = new DiskBlocks(
      dataDir,
      new FileHandlePool(options.maxOpenFiles, fs),
      parts.cache,
      (id, err) =>
        logger.error({ volume: id, err: String(err) }, "removing a fileset volume failed"),
    );
  }

  /**
   * Serves the data volumes, loads the latest snapshot, replays the commit
   * logs written after it into the buffers, then starts a fresh log file.
   */
  async open(): Promise<Persistence> {
    const { fs, clock, logger } = this.options;
    const { life, namespaces, metrics } = this.parts;
    const root = this.dataDir;
    const commitLogDir = commitLogDirOf(root);
    const target = new RestoreTarget(
      namespaces.values(),
      clock.nowMs(),
      {
        numShards: this.options.numShards,
        shardSeed: this.options.shardSeed,
        sequences: this.parts.sequences,
      },
      this.disk,
      this.indexVolumes,
      this.parts.cache,
    );
    const progress = life.progress;
    const found = await runBootstrap(
      {
        fs,
        root,
        commitLogDir,
        target,
        progress,
        logger,
        onCorruptVolume: (kind) => metrics.volumesCorrupt.inc({ kind }),
      },
      DEFAULT_BOOTSTRAPPERS,
    );
    metrics.bootstrapReplayed.inc(progress.datapointsReplayed);
    metrics.bootstrapSkipped.inc(progress.datapointsSkipped);
    metrics.bootstrapSkippedBytes.inc(progress.skippedBytes);
    metrics.bootstrapCorruptFiles.inc(progress.corruptFiles.length);
    logger.info(
      {
        volumesServed: progress.volumesServed,
        volumesRemoved: found.volumesRemoved,
        snapshot: found.snapshotIndex,
        snapshotDatapoints: progress.snapshotDatapoints,
      },
      "bootstrapped from filesets and snapshot",
    );
    const commitLog = this.options.commitLog;
    const log = await CommitLog.open({
      dir: commitLogDir,
      strategy: commitLog.strategy ?? "wait",
      flushIntervalMs: commitLog.flushIntervalMs,
      flushMaxBytes: commitLog.flushMaxBytes,
      now: () => clock.nowMs(),
      fs,
    });
    return {
      fs,
      dataDir: root,
      commitLogDir,
      disk: this.disk,
      indexVolumes: this.indexVolumes,
      log,
      logPeriodStartMs: logPeriodStart(namespaces.values(), clock.nowMs()),
      flusher: new FlushManager(
        this.flushHost(commitLogDir),
        this.options.snapshotIntervalMs,
        found.nextSnapshotIndex,
        this.options.compaction,
      ),
      logOpen: true,
    };
  }

  /** Closes every served volume's reader and the read handles (the files stay). */
  async close(): Promise<void> {
    await this.disk.close();
    await this.disk.handles.close();
  }

  private flushHost(commitLogDir: string): FlushHost {
    const { fs, clock, logger } = this.options;
    const { life, namespaces, writes, cache, metrics } = this.parts;
    return {
      fs,
      root: this.dataDir,
      commitLogDir,
      disk: this.disk,
      indexVolumes: this.indexVolumes,
      cache,
      logger,
      metrics,
      nowMs: () => clock.nowMs(),
      namespaces: () => [...namespaces.values()],
      isLive: (ns) => namespaces.isLive(ns),
      closing: () => life.closed,
      rotateCommitLog: () => writes.rotateForSnapshot(),
      currentCommitLogIndex: () => life.withOpenLog?.log.currentIndex ?? null,
    };
  }
}
