// The tick: one pass over every series that merges buckets holding several
// encoders, drops blocks past retention and series left empty, and rotates
// the commit log at block boundaries; then a flush run (flush-manager.ts)
// and removal of commit logs whose data has all left retention. It runs in
// the background every tickIntervalMs, and on demand.
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { Clock, Logger } from "../../x/index.js";
import { listCommitLogFiles } from "../commitlog/index.js";
import { emptyFlushRun, type FlushRunResult } from "./flush-manager.js";
import type { Lifecycle } from "./lifecycle.js";
import type { StorageMetrics } from "./metrics.js";
import type { Namespace } from "./namespace.js";
import type { Namespaces } from "./namespaces.js";

/** What one tick did: its own pass over the series, and the flush run it started (commit logs removed by both). */
export interface TickResult extends FlushRunResult {
  series: number;
  bucketsMerged: number;
  blocksExpired: number;
  seriesRemoved: number;
}

/** The commit log turns over at the smallest block boundary of any namespace (2 h if none). */
export function rotationPeriodMs(namespaces: Iterable<Namespace>): number {
  let period = Number.POSITIVE_INFINITY;
  for (const ns of namespaces) period = Math.min(period, ns.options.blockSizeMs);
  return Number.isFinite(period) ? period : 2 * 3600_000;
}

/** Start of the commit log rotation period holding `nowMs`. */
export function logPeriodStart(namespaces: Iterable<Namespace>, nowMs: number): number {
  const period = rotationPeriodMs(namespaces);
  return Math.floor(nowMs / period) * period;
}

export class Tick {
  private readonly clock: Clock;
  private readonly namespaces: Namespaces;
  private readonly life: Lifecycle;
  private readonly metrics: StorageMetrics;
  private readonly logger: Logger;
  private readonly seriesBatchSize: number;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<TickResult> | null = null;

  constructor(
    clock: Clock,
    namespaces: Namespaces,
    life: Lifecycle,
    metrics: StorageMetrics,
    logger: Logger,
    seriesBatchSize: number,
    intervalMs: number,
  ) {
    this.clock = clock;
    this.namespaces = namespaces;
    this.life = life;
    this.metrics = metrics;
    this.logger = logger;
    this.seriesBatchSize = seriesBatchSize;
    this.intervalMs = intervalMs;
  }

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
      this.ticking = this.pass().finally(() => {
        this.ticking = null;
      });
    }
    return this.ticking;
  }

  /** Settles when the pass under way, if any, has ended (whether it failed or not). */
  ended(): Promise<unknown> | undefined {
    return this.ticking?.catch(() => {});
  }

  /** Runs a tick every intervalMs (after the previous one ends) until close. */
  schedule(): void {
    if (this.intervalMs <= 0 || this.life.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.tick()
        .catch((e: unknown) => this.logger.error({ err: String(e) }, "tick failed"))
        .finally(() => this.schedule());
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops the background tick; a pass under way goes on (see ended). */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private async pass(): Promise<TickResult> {
    const result: TickResult = {
      series: 0,
      bucketsMerged: 0,
      blocksExpired: 0,
      seriesRemoved: 0,
      ...emptyFlushRun(),
    };
    if (!this.life.isBootstrapped) return result;
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
        if (++sinceYield >= this.seriesBatchSize) {
          sinceYield = 0;
          await yieldToLoop();
          if (!this.namespaces.isLive(ns)) break;
        }
      }
      ns.reclaim();
    }
    const p = this.life.persistence;
    if (p !== null && !this.life.closed) {
      Object.assign(result, await p.flusher.run());
    }
    result.commitLogsRemoved += await this.removeExpiredLogs();
    this.metrics.tickPasses.inc();
    this.metrics.blocksExpired.inc(result.blocksExpired);
    this.metrics.bucketsMerged.inc(result.bucketsMerged);
    return result;
  }

  /** Rotates the commit log when the clock has crossed into a new block period. */
  private async maybeRotateLog(): Promise<void> {
    const p = this.life.withOpenLog;
    if (p === null) return;
    const start = logPeriodStart(this.namespaces.values(), this.clock.nowMs());
    if (start !== p.logPeriodStartMs) {
      await p.log.rotate();
      p.logPeriodStartMs = start;
    }
  }

  /**
   * Deletes closed commit logs none of whose datapoints can still be in
   * retention: a file last written at W holds nothing later than W plus the
   * furthest a write may reach into the future.
   */
  private async removeExpiredLogs(): Promise<number> {
    const p = this.life.withOpenLog;
    if (p === null || this.namespaces.size === 0) return 0;
    let keepMs = 0;
    for (const ns of this.namespaces.values()) {
      const o = ns.options;
      keepMs = Math.max(
        keepMs,
        o.retentionPeriodMs + Math.max(o.bufferFutureMs, o.futureRetentionPeriodMs),
      );
    }
    const now = this.clock.nowMs();
    const fs = p.fs;
    let removed = 0;
    for (const file of await listCommitLogFiles(p.commitLogDir, fs)) {
      if (file.path === p.log.currentPath) continue;
      const info = await fs.stat(file.path);
      if (info.mtimeMs + keepMs < now) {
        await fs.rm(file.path, { force: true });
        removed++;
      }
    }
    return removed;
  }
}
