// Compaction: once the blocks of an aligned window are old enough, the
// m3ts-format volumes of one shard inside it are merged into one volume
// covering the window, as Prometheus compacts its 2-hour blocks, so that
// per-volume costs (a series' metadata, its frame, the file's sections)
// fade with age. Windows are the block size times 3, 9, 27, ... up to the
// longest span (a tenth of the retention, at most 31 days, unless set),
// aligned to multiples of their own length from the epoch, so any two
// windows either nest or do not meet.
//
// The swap is crash-safe by volume numbers: the compacted volume takes a
// number above every volume noted for the window and is written whole
// (temp name, fsync, rename, directory fsync) before it is served; the
// volumes it replaces are retired and deleted once unread. After a crash
// between the two, bootstrap finds the old volumes inside the span of a
// higher-numbered one and deletes them (bootstrap/fileset.ts). The disk needs
// room for one window of one shard twice over while it is compacted; windows
// are compacted one at a time. docs/format/compaction.md says all of it.
import type { SeriesData } from "../../codec/index.js";
import type { Logger } from "../../x/index.js";
import {
  type DataEntry,
  type DataVolumeId,
  dataVolumeLabel,
  openDataVolume,
  removeDataVolume,
  writeDataVolume,
} from "../fs/index.js";
import type { DiskBlock } from "./disk-blocks.js";
import type { FlushContext } from "./flush.js";
import type { StorageMetrics } from "./metrics.js";
import type { Namespace } from "./namespace.js";
import { entriesById, mergeSeriesData } from "./volume-data.js";

const DAY_MS = 86_400_000;
/** Prometheus's bound on its longest block, kept here for the default. */
const MAX_DEFAULT_SPAN_MS = 31 * DAY_MS;

export interface CompactionSettings {
  enabled: boolean;
  /** How long after a window could last take a warm write before it is compacted. */
  afterMs: number;
  /** Longest compacted span; null for the default. */
  maxSpanMs: number | null;
}

/** What the compactions of one flush run did. */
export interface CompactionRunResult {
  compactions: number;
  compactionFailures: number;
  compactedDatapoints: number;
  compactedVolumes: number;
}

/** The window lengths a namespace compacts into, shortest first (none when even three blocks exceed the longest span). */
export function compactionSpans(
  blockSizeMs: number,
  retentionPeriodMs: number,
  maxSpanMs: number | null,
): number[] {
  const longest = maxSpanMs ?? Math.min(retentionPeriodMs / 10, MAX_DEFAULT_SPAN_MS);
  const out: number[] = [];
  for (let span = blockSizeMs * 3; span <= longest; span *= 3) out.push(span);
  return out;
}

/** One window to compact: its span and the served volumes inside it. */
export interface CompactionPlan {
  startMs: number;
  endMs: number;
  inputs: DiskBlock[];
}

function windowStart(timeMs: number, spanMs: number): number {
  return Math.floor(timeMs / spanMs) * spanMs;
}

/**
 * The windows of one shard to compact now. Each served volume goes to the
 * longest window that holds it, is old enough (ends by `readyBy`) and starts
 * after the retention cutoff (a window partly expired is left to expire); a
 * window is compacted when it holds two or more volumes, all in m3ts's
 * format, and no served volume reaches past its edges.
 */
export function planShard(
  blocks: readonly DiskBlock[],
  spans: readonly number[],
  readyBy: number,
  cutoffMs: number,
): CompactionPlan[] {
  const windows = new Map<string, CompactionPlan>();
  for (const b of blocks) {
    for (let i = spans.length - 1; i >= 0; i--) {
      const start = windowStart(b.id.startMs, spans[i]);
      const end = start + spans[i];
      if (b.id.endMs > end || end > readyBy || start < cutoffMs) continue;
      const key = `${start}/${end}`;
      const w = windows.get(key);
      if (w === undefined) windows.set(key, { startMs: start, endMs: end, inputs: [b] });
      else w.inputs.push(b);
      break;
    }
  }
  const plans: CompactionPlan[] = [];
  for (const w of windows.values()) {
    if (w.inputs.length < 2) continue;
    if (w.inputs.some((b) => b.id.format !== "m3ts")) continue;
    const straddles = blocks.some(
      (b) =>
        b.id.startMs < w.endMs &&
        b.id.endMs > w.startMs &&
        (b.id.startMs < w.startMs || b.id.endMs > w.endMs),
    );
    if (!straddles) plans.push(w);
  }
  return plans.sort((a, b) => a.startMs - b.startMs);
}

/** What compaction needs from the database: what a flush does, and the run's logger, metrics and close flag. */
export interface CompactionHost extends Omit<FlushContext, "cache"> {
  readonly logger: Logger;
  readonly metrics: StorageMetrics;
  closing(): boolean;
}

/** Compacts every window of the namespace that is due, one at a time. */
export async function compactNamespace(
  host: CompactionHost,
  ns: Namespace,
  nowMs: number,
  settings: CompactionSettings,
  result: CompactionRunResult,
): Promise<void> {
  if (!settings.enabled || !ns.options.flushEnabled) return;
  const o = ns.options;
  const spans = compactionSpans(o.blockSizeMs, o.retentionPeriodMs, settings.maxSpanMs);
  if (spans.length === 0) return;
  const readyBy = nowMs - o.bufferPastMs - settings.afterMs;
  const cutoff = ns.retentionCutoff(nowMs);
  for (let shard = 0; shard < ns.shards.length; shard++) {
    const plans = planShard(host.disk.shardBlocks(ns.name, shard), spans, readyBy, cutoff);
    for (const plan of plans) {
      if (!host.isLive(ns) || host.closing()) return;
      const started = performance.now();
      try {
        const points = await compactWindow(host, ns, shard, plan);
        if (points === null) {
          result.compactionFailures++;
          host.metrics.compactionFailures.inc({ namespace: ns.name });
          continue;
        }
        result.compactions++;
        result.compactedDatapoints += points;
        result.compactedVolumes += plan.inputs.length;
        host.metrics.compactions.inc({ namespace: ns.name });
        host.metrics.compactedDatapoints.inc({ namespace: ns.name }, points);
        host.metrics.compactedVolumes.inc({ namespace: ns.name }, plan.inputs.length);
        host.metrics.compactionSeconds.observe((performance.now() - started) / 1000);
      } catch (err) {
        result.compactionFailures++;
        host.metrics.compactionFailures.inc({ namespace: ns.name });
        host.logger.error(
          { namespace: ns.name, shard, startMs: plan.startMs, endMs: plan.endMs, err: String(err) },
          "compaction failed; the volumes stay as they are and it is tried again on a later run",
        );
      }
    }
  }
}

/**
 * Writes the window's compacted volume and serves it in place of its
 * inputs; returns the datapoints written, or null when the inputs changed
 * meanwhile (the namespace was dropped, or a volume was replaced), in which
 * case the new volume is deleted and the inputs stay served.
 */
async function compactWindow(
  host: CompactionHost,
  ns: Namespace,
  shard: number,
  plan: CompactionPlan,
): Promise<number | null> {
  const disk = host.disk;
  const id: DataVolumeId = {
    namespace: ns.name,
    shard,
    startMs: plan.startMs,
    endMs: plan.endMs,
    volume: disk.nextVolume(ns.name, shard, plan.startMs, plan.endMs),
    format: "m3ts",
  };
  // Taken now, so that nothing else numbered for this window can take it meanwhile.
  disk.noteVolume(id);
  // Held like reads: a retired input stays on disk until this is done with it.
  const inputs = [...plan.inputs].sort((a, b) => a.id.volume - b.id.volume);
  for (const b of inputs) disk.acquire(b);
  let points = 0;
  try {
    const what = `compacting ${dataVolumeLabel(id)}`;
    async function* merged(): AsyncGenerator<DataEntry> {
      for await (const group of entriesById(inputs)) {
        const sources: SeriesData[] = group.map((e) => e.data);
        const m = mergeSeriesData("m3ts", sources, plan.startMs, what);
        if (m.data === null) continue;
        points += m.points;
        yield { id: group[0].id, encodedTags: group[0].encodedTags, data: m.data };
      }
    }
    await writeDataVolume(host.root, id, ns.options.blockSizeMs, merged(), disk.handles.fs, true);
    // Re-check after the awaits: the inputs must still be what is served.
    if (!host.isLive(ns) || inputs.some((b) => b.retired)) {
      await removeDataVolume(host.root, id, disk.handles.fs);
      return null;
    }
    const reader = await openDataVolume(host.root, id, disk.handles);
    if (!host.isLive(ns) || inputs.some((b) => b.retired)) {
      await reader.close();
      await removeDataVolume(host.root, id, disk.handles.fs);
      return null;
    }
    disk.install(reader);
    return points;
  } finally {
    for (const b of inputs) disk.release(b);
  }
}
