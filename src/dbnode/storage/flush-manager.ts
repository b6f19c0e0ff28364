// One flush run (M3's src/dbnode/storage/flush.go, fs.go and cleanup.go),
// started by the tick: volumes past retention go; every block whose flush time
// has come is flushed (warm, or cold into the next volume); index blocks whose
// time has come are sealed and written (index-volumes.ts); old blocks' volumes
// are compacted (compaction.ts); then, when one is
// due and every index write succeeded, the commit log rotates and a snapshot of
// the unflushed data is taken, after which older commit logs, snapshot volumes
// and snapshot metadata are deleted.
import type { FileSystem } from "../../x/index.js";
import { eachBounded, type Logger } from "../../x/index.js";
import { listCommitLogFiles } from "../commitlog/index.js";
import {
  listSnapshotMetadata,
  listVolumes,
  removeSnapshotMetadata,
  removeVolume,
  syncVolumeDirs,
  writeSnapshotMetadata,
} from "../fs/index.js";
import type { BlockCache } from "./block-cache.js";
import { type CompactionSettings, compactNamespace } from "./compaction.js";
import type { DiskBlocks } from "./disk-blocks.js";
import { flushBlocks, flushSpanOf } from "./flush.js";
import type { IndexVolumes } from "./index-volumes.js";
import type { StorageMetrics } from "./metrics.js";
import type { Namespace } from "./namespace.js";
import { writeSnapshotVolumes } from "./snapshot.js";

/** What the flush manager needs from the database. */
export interface FlushHost {
  readonly fs: FileSystem;
  readonly root: string;
  readonly commitLogDir: string;
  readonly disk: DiskBlocks;
  readonly indexVolumes: IndexVolumes;
  readonly cache: BlockCache;
  readonly logger: Logger;
  readonly metrics: StorageMetrics;
  nowMs(): number;
  namespaces(): Namespace[];
  isLive(ns: Namespace): boolean;
  /** True once the database is closing: flushes under way finish, no new one starts. */
  closing(): boolean;
  /**
   * Rotates the commit log and waits until every write appended before the
   * rotation is in the buffers; resolves with the new file's index, or null
   * when there is no commit log.
   */
  rotateCommitLog(): Promise<number | null>;
  /** Index of the commit log file being written, or null. */
  currentCommitLogIndex(): number | null;
}

export interface FlushRunResult {
  warmFlushes: number;
  coldFlushes: number;
  flushFailures: number;
  volumesExpired: number;
  indexFlushes: number;
  indexFlushFailures: number;
  snapshotTaken: boolean;
  commitLogsRemoved: number;
  /** Compacted volumes written, and what they replaced and held. */
  compactions: number;
  compactionFailures: number;
  compactedDatapoints: number;
  compactedVolumes: number;
}

/** A flush run that did nothing: the counts a run starts from. */
export function emptyFlushRun(): FlushRunResult {
  return {
    warmFlushes: 0,
    coldFlushes: 0,
    flushFailures: 0,
    volumesExpired: 0,
    indexFlushes: 0,
    indexFlushFailures: 0,
    snapshotTaken: false,
    commitLogsRemoved: 0,
    compactions: 0,
    compactionFailures: 0,
    compactedDatapoints: 0,
    compactedVolumes: 0,
  };
}

/** Volumes a flush or snapshot writes at once. */
export const VOLUME_WRITE_CONCURRENCY = 4;

export class FlushManager {
  private readonly host: FlushHost;
  private readonly snapshotIntervalMs: number;
  private nextSnapshotIndex: number;
  private lastSnapshotMs = Number.NEGATIVE_INFINITY;
  private readonly compaction: CompactionSettings;

  constructor(
    host: FlushHost,
    snapshotIntervalMs: number,
    nextSnapshotIndex: number,
    compaction: CompactionSettings = { enabled: true, afterMs: 0, maxSpanMs: null },
  ) {
    this.host = host;
    this.snapshotIntervalMs = snapshotIntervalMs;
    this.nextSnapshotIndex = nextSnapshotIndex;
    this.compaction = compaction;
  }

  async run(): Promise<FlushRunResult> {
    const host = this.host;
    const result = emptyFlushRun();
    const now = host.nowMs();
    for (const ns of host.namespaces()) {
      result.volumesExpired += this.expireVolumes(ns, now);
      await host.indexVolumes.expire(ns, now);
      if (!ns.options.flushEnabled) continue;
      await this.flushNamespace(ns, now, result);
      // After the data: the seal then holds every series those volumes do.
      const live = () => host.isLive(ns) && !host.closing();
      const index = await host.indexVolumes.flush(ns, now, host.logger, live);
      result.indexFlushes += index.written;
      result.indexFlushFailures += index.failed;
      if (index.written > 0)
        host.metrics.flushes.inc({ namespace: ns.name, type: "index" }, index.written);
      if (index.failed > 0) host.metrics.flushFailures.inc({ namespace: ns.name }, index.failed);
      // Last: the run's flushes have put what the buffers held for old blocks into volumes.
      await compactNamespace(host, ns, now, this.compaction, result);
    }
    const snapshots = host.namespaces().some((ns) => ns.options.snapshotEnabled);
    // A snapshot deletes the commit logs that would index again the series
    // of a failed index write, so it waits for a run where all succeed; a
    // close cuts index seals short the same way, so it takes none either.
    if (
      snapshots &&
      !host.closing() &&
      result.indexFlushFailures === 0 &&
      now - this.lastSnapshotMs >= this.snapshotIntervalMs
    ) {
      await this.snapshot(result);
    }
    host.cache.expire(now);
    host.metrics.volumesExpired.inc(result.volumesExpired);
    await host.disk.drain();
    return result;
  }

  /**
   * Stops serving (and removes) volumes whose whole span has left
   * retention; a compacted span goes when its last block does.
   */
  private expireVolumes(ns: Namespace, nowMs: number): number {
    const cutoff = ns.retentionCutoff(nowMs);
    let n = 0;
    for (const block of this.host.disk.blocks(ns.name)) {
      if (block.id.endMs <= cutoff) {
        this.host.disk.remove(block);
        n++;
      }
    }
    this.host.disk.forgetKnownBefore(ns.name, cutoff);
    return n;
  }

  private async flushNamespace(ns: Namespace, nowMs: number, result: FlushRunResult) {
    const host = this.host;
    const before = ns.flushableBefore(nowMs);
    const cutoff = ns.retentionCutoff(nowMs);
    const starts = new Set<number>();
    // Due blocks grouped by the span they are written into: one flush per span,
    // so that two flushes never rewrite the same compacted span at once.
    const due: { shard: number; span: { startMs: number; endMs: number }; blocks: number[] }[] = [];
    for (let shard = 0; shard < ns.shards.length; shard++) {
      starts.clear();
      for (const ref of ns.liveRefs(shard)) {
        const buffer = ns.series.buffers[ref];
        if (buffer?.hasBlockBefore(before)) buffer.blockStarts(starts);
      }
      const bySpan = new Map<number, (typeof due)[number]>();
      for (const blockStartMs of [...starts].sort((a, b) => a - b)) {
        if (blockStartMs < before && blockStartMs + ns.options.blockSizeMs > cutoff) {
          const span = flushSpanOf(host.disk, ns, shard, blockStartMs);
          const job = bySpan.get(span.startMs);
          if (job === undefined) {
            const added = { shard, span, blocks: [blockStartMs] };
            bySpan.set(span.startMs, added);
            due.push(added);
          } else {
            job.blocks.push(blockStartMs);
          }
        }
      }
    }
    await eachBounded(due, VOLUME_WRITE_CONCURRENCY, async ({ shard, span, blocks }) => {
      if (!host.isLive(ns) || host.closing()) return;
      const started = performance.now();
      const blockStartMs = blocks[0];
      host.logger.debug({ namespace: ns.name, shard, blockStartMs }, "flush started");
      try {
        const r = await flushBlocks(host, ns, shard, span, blocks);
        host.logger.debug({ namespace: ns.name, shard, blockStartMs }, "flush done");
        if (r === null) return;
        if (r.cold) result.coldFlushes++;
        else result.warmFlushes++;
        host.metrics.flushes.inc({ namespace: ns.name, type: r.cold ? "cold" : "warm" });
        host.metrics.flushSeconds.observe((performance.now() - started) / 1000);
      } catch (err) {
        host.logger.debug({ namespace: ns.name, shard, blockStartMs }, "flush done");
        result.flushFailures++;
        host.metrics.flushFailures.inc({ namespace: ns.name });
        host.logger.error(
          { namespace: ns.name, shard, blockStartMs, err: String(err) },
          "flush failed; the block stays in memory and is tried again on the next run",
        );
      }
    });
  }

  /** Rotate, snapshot, record it, then delete what it makes obsolete. */
  private async snapshot(result: FlushRunResult): Promise<void> {
    const host = this.host;
    const index = this.nextSnapshotIndex++;
    const takenAtMs = host.nowMs();
    host.logger.debug({ snapshot: index }, "snapshot started");
    try {
      const rotated = (await host.rotateCommitLog()) ?? 0;
      // A namespace that writes to the commit log but takes no snapshots needs
      // every file replayed: then the snapshot covers no commit log at all.
      const covers = host
        .namespaces()
        .every((ns) => ns.options.snapshotEnabled || !ns.options.writesToCommitLog);
      const commitLogIndex = covers ? rotated : 0;
      const written = await writeSnapshotVolumes(
        host.fs,
        host.root,
        host.namespaces(),
        index,
        takenAtMs,
        VOLUME_WRITE_CONCURRENCY,
      );
      await writeSnapshotMetadata(host.root, { index, commitLogIndex, takenAtMs }, host.fs);
      this.lastSnapshotMs = takenAtMs;
      result.snapshotTaken = true;
      host.metrics.snapshots.inc();
      host.logger.debug({ snapshot: index, ...written }, "snapshot done");
      host.logger.debug({ snapshot: index }, "cleanup started");
      result.commitLogsRemoved = await this.cleanup(index, commitLogIndex);
      host.metrics.commitLogsRemoved.inc(result.commitLogsRemoved);
      host.logger.debug({ snapshot: index }, "cleanup done");
    } catch (err) {
      host.metrics.snapshotFailures.inc();
      host.logger.error(
        { snapshot: index, err: String(err) },
        "snapshot failed; commit logs are kept until one succeeds",
      );
    }
  }

  /**
   * Deletes snapshot volumes and metadata of other snapshots, and commit log
   * files older than the snapshot's; returns how many commit logs went.
   */
  private async cleanup(index: number, commitLogIndex: number): Promise<number> {
    const host = this.host;
    const stale = (await listVolumes(host.root, "snapshot", undefined, undefined, host.fs)).filter(
      (v) => v.volume !== index,
    );
    for (const v of stale) await removeVolume(host.root, "snapshot", v, host.fs);
    // A later life may number a snapshot as one of these: they must not come back.
    await syncVolumeDirs(host.root, "snapshot", stale, host.fs);
    const listing = await listSnapshotMetadata(host.root, host.fs);
    for (const m of listing.complete)
      if (m.index < index) await removeSnapshotMetadata(host.root, m.index, host.fs);
    // Only the listed files: an invalid entry may be stray temp files beside a complete index.
    for (const m of listing.invalid) for (const p of m.paths) await host.fs.rm(p, { force: true });
    const current = host.currentCommitLogIndex();
    let removed = 0;
    for (const file of await listCommitLogFiles(host.commitLogDir, host.fs)) {
      if (file.index >= commitLogIndex || file.index === current) continue;
      await host.fs.rm(file.path, { force: true });
      removed++;
    }
    return removed;
  }
}
