// The storage engine's self-metrics, in a prom-client registry the node
// serves on /metrics. Counted per batch or per event, never per datapoint.
import { Counter, Gauge, type Registry } from "prom-client";
import type { BootstrapState } from "./commitlog-bootstrap.js";

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

  constructor(registry: Registry, liveSeries: () => { namespace: string; count: number }[]) {
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
  }

  setBootstrapState(state: BootstrapState): void {
    this.bootstrapState.set(STATE_VALUE[state]);
  }
}
