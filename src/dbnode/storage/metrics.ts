// The storage engine's self-metrics, in a prom-client registry the node
// serves on /metrics. Counted per batch or per event, never per datapoint.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { BootstrapState } from "../bootstrap/index.js";

const STATE_VALUE: Record<BootstrapState, number> = {
  bootstrapping: 0,
  bootstrapped: 1,
  failed: 2,
};

export class StorageMetrics {
  readonly datapointsWritten: Counter<"namespace">;
  readonly datapointsRejected: Counter<"namespace" | "code">;
  readonly seriesCreated: Counter<"namespace">;
  readonly bootstrapState: Gauge;
  readonly bootstrapReplayed: Counter;
  readonly bootstrapSkipped: Counter;
  readonly bootstrapSkippedBytes: Counter;
  readonly bootstrapCorruptFiles: Counter;
  readonly tickPasses: Counter;
  readonly blocksExpired: Counter;
  readonly bucketsMerged: Counter;
  readonly flushes: Counter<"namespace" | "type">;
  readonly flushFailures: Counter<"namespace">;
  readonly flushSeconds: Histogram;
  readonly snapshots: Counter;
  readonly snapshotFailures: Counter;
  readonly commitLogsRemoved: Counter;
  readonly volumesExpired: Counter;
  readonly volumesCorrupt: Counter<"kind">;
  readonly diskReads: Counter<"namespace">;
  readonly compactions: Counter<"namespace">;
  readonly compactionFailures: Counter<"namespace">;
  readonly compactedDatapoints: Counter<"namespace">;
  readonly compactedVolumes: Counter<"namespace">;
  readonly compactionSeconds: Histogram;

  constructor(
    registry: Registry,
    liveSeries: () => { namespace: string; count: number }[],
    cache: () => { hits: number; misses: number; size: number; bytes: number },
    commitLogPendingBytes: () => number = () => 0,
  ) {
    const registers = [registry];
    this.datapointsWritten = new Counter({
      name: "m3ts_db_datapoints_written_total",
      help: "Datapoints accepted by batch writes.",
      labelNames: ["namespace"],
      registers,
    });
    this.datapointsRejected = new Counter({
      name: "m3ts_db_datapoints_rejected_total",
      help: "Datapoints refused by batch writes, by error code.",
      labelNames: ["namespace", "code"],
      registers,
    });
    this.seriesCreated = new Counter({
      name: "m3ts_db_series_created_total",
      help: "Series created by writes (bootstrap restores series without counting them here).",
      labelNames: ["namespace"],
      registers,
    });
    new Gauge({
      name: "m3ts_db_series",
      help: "Series held in memory.",
      labelNames: ["namespace"],
      registers,
      collect() {
        this.reset();
        for (const { namespace, count } of liveSeries()) this.set({ namespace }, count);
      },
    });
    new Gauge({
      name: "m3ts_db_commitlog_queue_bytes",
      help: "Bytes appended to the commit log and not yet written to its file.",
      registers,
      collect() {
        this.set(commitLogPendingBytes());
      },
    });
    this.bootstrapState = new Gauge({
      name: "m3ts_db_bootstrap_state",
      help: "0 bootstrapping, 1 bootstrapped, 2 failed.",
      registers,
    });
    this.bootstrapReplayed = new Counter({
      name: "m3ts_db_bootstrap_datapoints_replayed_total",
      help: "Datapoints replayed from the commit log into memory.",
      registers,
    });
    this.bootstrapSkipped = new Counter({
      name: "m3ts_db_bootstrap_datapoints_skipped_total",
      help: "Replayed datapoints not loaded: past retention, dropped namespace or unwritable.",
      registers,
    });
    this.bootstrapSkippedBytes = new Counter({
      name: "m3ts_db_bootstrap_skipped_bytes_total",
      help: "Commit log bytes not replayed because a file was torn or corrupt from there on.",
      registers,
    });
    this.bootstrapCorruptFiles = new Counter({
      name: "m3ts_db_bootstrap_corrupt_files_total",
      help: "Commit log files with an unreadable header, or read only up to a torn or corrupt chunk.",
      registers,
    });
    this.tickPasses = new Counter({
      name: "m3ts_db_tick_passes_total",
      help: "Completed tick passes.",
      registers,
    });
    this.blocksExpired = new Counter({
      name: "m3ts_db_blocks_expired_total",
      help: "Series blocks dropped from memory for leaving retention.",
      registers,
    });
    this.bucketsMerged = new Counter({
      name: "m3ts_db_buckets_merged_total",
      help: "Buckets whose encoders the tick merged into one.",
      registers,
    });
    this.flushes = new Counter({
      name: "m3ts_db_flushes_total",
      help: "Volumes written by flushes: warm (a block's first), cold (merged into the next volume) or index (an index block sealed).",
      labelNames: ["namespace", "type"],
      registers,
    });
    this.flushFailures = new Counter({
      name: "m3ts_db_flush_failures_total",
      help: "Block flushes that failed (the data stays in memory and is flushed on a later run).",
      labelNames: ["namespace"],
      registers,
    });
    this.flushSeconds = new Histogram({
      name: "m3ts_db_flush_seconds",
      help: "Time to flush one shard's block.",
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60],
      registers,
    });
    this.snapshots = new Counter({
      name: "m3ts_db_snapshots_total",
      help: "Snapshots completed.",
      registers,
    });
    this.snapshotFailures = new Counter({
      name: "m3ts_db_snapshot_failures_total",
      help: "Snapshots that failed (commit logs are kept until one succeeds).",
      registers,
    });
    this.commitLogsRemoved = new Counter({
      name: "m3ts_db_commitlogs_removed_total",
      help: "Commit log files deleted because a snapshot or flushed volumes hold their data, or it expired.",
      registers,
    });
    this.volumesExpired = new Counter({
      name: "m3ts_db_volumes_expired_total",
      help: "Data volumes deleted for leaving retention.",
      registers,
    });
    this.volumesCorrupt = new Counter({
      name: "m3ts_db_volumes_corrupt_total",
      help: "Fileset volumes that failed verification and are not served, by kind (data or snapshot).",
      labelNames: ["kind"],
      registers,
    });
    this.diskReads = new Counter({
      name: "m3ts_db_disk_reads_total",
      help: "Series blocks read from fileset volumes (cache misses).",
      labelNames: ["namespace"],
      registers,
    });
    this.compactions = new Counter({
      name: "m3ts_db_compactions_total",
      help: "Compacted volumes written (each replaces the volumes of adjacent blocks of one shard).",
      labelNames: ["namespace"],
      registers,
    });
    this.compactionFailures = new Counter({
      name: "m3ts_db_compaction_failures_total",
      help: "Compactions that failed or were abandoned (the old volumes stay served).",
      labelNames: ["namespace"],
      registers,
    });
    this.compactedDatapoints = new Counter({
      name: "m3ts_db_compacted_datapoints_total",
      help: "Datapoints written by compactions.",
      labelNames: ["namespace"],
      registers,
    });
    this.compactedVolumes = new Counter({
      name: "m3ts_db_compacted_volumes_total",
      help: "Volumes replaced by compacted ones.",
      labelNames: ["namespace"],
      registers,
    });
    this.compactionSeconds = new Histogram({
      name: "m3ts_db_compaction_seconds",
      help: "Time to write one compacted volume.",
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300],
      registers,
    });
    const cacheGauge = (
      name: string,
      help: string,
      pick: (c: ReturnType<typeof cache>) => number,
    ) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(pick(cache()));
        },
      });
    cacheGauge("m3ts_db_cache_hits", "Block cache hits since start.", (c) => c.hits);
    cacheGauge("m3ts_db_cache_misses", "Block cache misses since start.", (c) => c.misses);
    cacheGauge("m3ts_db_cache_blocks", "Series blocks held in the block cache.", (c) => c.size);
    cacheGauge("m3ts_db_cache_bytes", "Bytes of streams held in the block cache.", (c) => c.bytes);
  }

  setBootstrapState(state: BootstrapState): void {
    this.bootstrapState.set(STATE_VALUE[state]);
  }
}
