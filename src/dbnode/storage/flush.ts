// Flushing one shard's block to a data volume (M3's
// src/dbnode/storage/flush.go; when a block may flush:
// src/dbnode/retention/times.go). The first flush of a block (warm) writes
// volume 0 from the buffers, in the namespace's fileFormat; a later one (cold)
// merges the buffers' data for the block into the served volume covering it
// and writes that volume's span again under the next volume number (a block
// inside a compacted span rewrites the span, so it stays one volume), and the
// old volume is removed once the new one is complete and served. Reads see
// the taken buckets until then.
import { isPacked, type SeriesData } from "../../codec/index.js";
import {
  type DataEntry,
  type DataVolume,
  type DataVolumeFormat,
  type DataVolumeId,
  openDataVolume,
  removeDataVolume,
  writeDataVolume,
} from "../fs/index.js";
import type { BlockCache } from "./block-cache.js";
import type { DiskBlocks } from "./disk-blocks.js";
import type { Namespace } from "./namespace.js";
import { type Bucket, bucketStreams } from "./series-buffer.js";
import { mergeSeriesData } from "./volume-data.js";

/** What a flush needs from the database. */
export interface FlushContext {
  root: string;
  disk: DiskBlocks;
  cache: BlockCache;
  /** False once the namespace has been dropped (or replaced). */
  isLive(ns: Namespace): boolean;
}

export interface BlockFlushResult {
  /** Volume number written. */
  volume: number;
  /** True when the block already had a volume (a cold flush). */
  cold: boolean;
  /** Series in the new volume. */
  series: number;
  /** Series whose data came from the buffers. */
  seriesFromBuffers: number;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/**
 * Flushes the buffered data of one shard's block; null when no series of
 * the shard holds data for it or the namespace went away meanwhile.
 */
export async function flushBlock(
  ctx: FlushContext,
  ns: Namespace,
  shard: number,
  blockStartMs: number,
): Promise<BlockFlushResult | null> {
  const table = ns.series;
  // Take the block's buckets from every series of the shard; reads find them in ns.flushing.
  const taken = new Map<string, { ref: number; buckets: Bucket[] }>();
  for (const ref of ns.liveRefs(shard)) {
    const buffer = table.buffers[ref];
    if (buffer === null) continue;
    const buckets = buffer.takeBlock(blockStartMs);
    if (buckets.length === 0) continue;
    taken.set(table.ids[ref] as string, { ref, buckets });
    const prior = ns.flushing.get(ref);
    ns.flushing.set(ref, prior === undefined ? buckets : prior.concat(buckets));
  }
  if (taken.size === 0) return null;

  // A block inside a compacted span is written by rewriting the span.
  const blockEnd = blockStartMs + ns.options.blockSizeMs;
  const existing = ctx.disk.covering(ns.name, shard, blockStartMs, blockEnd);
  if (existing !== undefined) ctx.disk.acquire(existing);
  const startMs = existing?.id.startMs ?? blockStartMs;
  const endMs = existing?.id.endMs ?? blockEnd;
  const id: DataVolumeId = {
    namespace: ns.name,
    shard,
    startMs,
    endMs,
    volume: ctx.disk.nextVolume(ns.name, shard, startMs, endMs),
    // Only m3ts's format holds more than one block.
    format: endMs - startMs > ns.options.blockSizeMs ? "m3ts" : ns.options.fileFormat,
  };
  const keep: { id: string; data: SeriesData }[] | null = ctx.cache.cachesEverything ? [] : null;
  let series = 0;
  const what = `flushing ${ns.name}/${shard} block ${blockStartMs}`;
  async function* entries(): AsyncGenerator<DataEntry> {
    if (existing !== undefined) {
      for await (const e of existing.reader.entries()) {
        const sid = fromUtf8.decode(e.id);
        const t = taken.get(sid);
        if (t !== undefined) taken.delete(sid);
        const data = t === undefined ? convert(id.format, e.data, startMs, what) : merge(e.data, t);
        if (data === null) continue;
        keep?.push({ id: sid, data });
        series++;
        yield { id: e.id, encodedTags: e.encodedTags, data };
      }
    }
    for (const [sid, t] of taken) {
      const data = merge(null, t);
      if (data === null) continue;
      keep?.push({ id: sid, data });
      series++;
      yield { id: utf8.encode(sid), encodedTags: table.tagsOf(t.ref), data };
    }
  }
  function merge(older: SeriesData | null, t: { buckets: Bucket[] }): SeriesData | null {
    const streams: Uint8Array[] = [];
    bucketStreams(t.buckets, blockStartMs, blockStartMs + 1, 1, streams);
    const sources: SeriesData[] = older === null ? streams : [older, ...streams];
    return mergeSeriesData(id.format, sources, startMs, what).data;
  }

  const takenRefs = [...taken.values()];
  const seriesFromBuffers = takenRefs.length;
  try {
    await writeDataVolume(ctx.root, id, ns.options.blockSizeMs, entries(), ctx.disk.handles.fs);
  } catch (err) {
    if (existing !== undefined) ctx.disk.release(existing);
    putBack(ns, takenRefs);
    throw err;
  }
  if (existing !== undefined) ctx.disk.release(existing);
  ctx.disk.noteVolume(id);
  if (!ctx.isLive(ns)) {
    await removeDataVolume(ctx.root, id, ctx.disk.handles.fs);
    return null;
  }
  let reader: DataVolume;
  try {
    reader = await openDataVolume(ctx.root, id, ctx.disk.handles);
  } catch (err) {
    putBack(ns, takenRefs);
    throw err;
  }
  const block = ctx.disk.install(reader);
  if (keep !== null) for (const k of keep) ctx.cache.put(block.key, k.id, k.data, 0);
  release(ns, takenRefs);
  return { volume: id.volume, cold: existing !== undefined, series, seriesFromBuffers };
}

/** A volume's data in `format`: as it is when already in that format, else converted. */
function convert(
  format: DataVolumeFormat,
  data: SeriesData,
  startMs: number,
  what: string,
): SeriesData | null {
  if (isPacked(data) === (format === "m3ts")) return data;
  return mergeSeriesData(format, [data], startMs, what).data;
}

/** Drops taken buckets from ns.flushing: the served volume now holds them. */
function release(ns: Namespace, taken: readonly { ref: number; buckets: Bucket[] }[]): void {
  for (const { ref, buckets } of taken) {
    const held = ns.flushing.get(ref);
    if (held === undefined) continue;
    const rest = held.filter((b) => !buckets.includes(b));
    if (rest.length === 0) ns.flushing.delete(ref);
    else ns.flushing.set(ref, rest);
  }
}

/** Returns taken buckets to their series after a failed flush. */
function putBack(ns: Namespace, taken: readonly { ref: number; buckets: Bucket[] }[]): void {
  release(ns, taken);
  for (const { ref, buckets } of taken) ns.series.buffers[ref]?.restore(buckets);
}
