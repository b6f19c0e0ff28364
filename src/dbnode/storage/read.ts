// The read path of one series (docs/architecture.md, "A read"): for every block
// the range touches, the stream of the volume serving it (from the block cache
// or the disk) and the buffers' streams, in the order that makes the later
// write win at equal instants.
import { type SeriesData, seriesDataBytes } from "../../codec/index.js";
import type { Clock, Logger } from "../../x/index.js";
import { shardOf } from "../../x/index.js";
import { VolumeCorruptError } from "../fs/index.js";
import type { BlockCache } from "./block-cache.js";
import type { DiskBlock, DiskBlocks } from "./disk-blocks.js";
import type { StorageMetrics } from "./metrics.js";
import type { Namespace } from "./namespace.js";
import { bucketStreams } from "./series-buffer.js";

/** What a read needs from the database. */
export interface ReadContext {
  disk: DiskBlocks | null;
  cache: BlockCache;
  clock: Clock;
  metrics: StorageMetrics;
  logger: Logger;
  numShards: number;
  shardSeed: number;
}

const utf8 = new TextEncoder();

/**
 * The data of a series over [startMs, endMs), whole volumes and blocks:
 * volumes' first, lowest volume number first (they hold older data than the
 * buffers, and a higher number later writes), then the buffers' streams by
 * creation order. Rejects with VolumeCorruptError if a volume read fails its
 * checksums, rather than answer without that block.
 */
export async function readSeriesStreams(
  ctx: ReadContext,
  ns: Namespace,
  id: string,
  startMs: number,
  endMs: number,
): Promise<SeriesData[]> {
  const ref = ns.series.byId.get(id);
  const bufferStreams: Uint8Array[] = [];
  const diskStreams: (SeriesData | null)[] = [];
  const reads: Promise<void>[] = [];
  const chosen: DiskBlock[] = [];
  // Everything up to the first await is one consistent view: the volume each
  // block is served from and the buffers (with the buckets a flush has taken
  // but not yet served from a volume).
  const buckets = ref === undefined ? null : ns.bucketsOf(ref);
  if (buckets !== null) {
    bucketStreams(buckets, startMs, endMs, ns.options.blockSizeMs, bufferStreams);
  }
  const disk = ctx.disk;
  if (disk !== null) {
    // The ID's bytes only when a volume is read (or a series unknown here is
    // sharded): most reads of recent data touch only the buffers.
    let idBytes: Uint8Array | null = ref !== undefined ? null : utf8.encode(id);
    const shard =
      ref !== undefined
        ? ns.series.shardOf(ref)
        : shardOf(idBytes as Uint8Array, ctx.numShards, ctx.shardSeed);
    const now = ctx.clock.nowMs();
    for (const block of disk.inRange(ns.name, shard, ns.blockStart(startMs), endMs)) {
      const cached = ctx.cache.get(block.key, id, now);
      if (cached !== undefined) {
        diskStreams.push(cached);
        continue;
      }
      idBytes ??= utf8.encode(id);
      const slot = diskStreams.length;
      diskStreams.push(null);
      disk.acquire(block);
      chosen.push(block);
      ctx.metrics.diskReads.inc({ namespace: ns.name });
      reads.push(
        block.reader.read(idBytes).then((stream) => {
          diskStreams[slot] = stream;
          if (stream !== null && ctx.cache.cachesReads && !block.retired) {
            ctx.cache.put(block.key, id, stream, ctx.clock.nowMs());
          }
        }),
      );
    }
  }
  // Every read settles before its volume is released (a retired one is then deleted).
  const settled = await Promise.allSettled(reads);
  for (const block of chosen) disk?.release(block);
  for (const r of settled) {
    if (r.status === "fulfilled") continue;
    if (r.reason instanceof VolumeCorruptError) {
      ctx.metrics.volumesCorrupt.inc({ kind: "data" });
      ctx.logger.error({ err: r.reason.message }, "a read found a corrupt fileset volume");
    }
    throw r.reason;
  }
  const out: SeriesData[] = [];
  for (const d of diskStreams) if (d !== null && seriesDataBytes(d) > 0) out.push(d);
  for (const b of bufferStreams) out.push(b);
  return out;
}
