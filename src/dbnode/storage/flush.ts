// Flushing one shard's block to a data volume (M3's
// src/dbnode/storage/flush.go; when a block may flush:
// src/dbnode/retention/times.go). The first flush of a block (warm) writes
// volume 0 from the buffers, in the namespace's fileFormat; a later one (cold)
// merges the buffers' data for the block into the served volume covering it
// and writes that volume's span again under the next volume number (a block
// inside a compacted span rewrites the span, so it stays one volume), and the
// old volume is removed once the new one is complete and served. Reads see
// the taken buckets until then.
import type { SeriesData } from "../../codec/index.js";
import {
  type DataEntry,
  type DataVolume,
  type DataVolumeId,
  dataVolumeLabel,
  openDataVolume,
  removeDataVolume,
  writeDataVolume,
} from "../fs/index.js";
import type { BlockCache } from "./block-cache.js";
import type { DiskBlocks } from "./disk-blocks.js";
import type { Namespace } from "./namespace.js";
import { type Bucket, bucketStreams } from "./series-buffer.js";
import { entriesById, mergeSeriesData } from "./volume-data.js";

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
 * The span a flush of the block at `blockStartMs` writes: the span of the
 * served volume covering it (a compacted span is written whole), or the
 * block alone.
 */
export function flushSpanOf(
  disk: DiskBlocks,
  ns: Namespace,
  shard: number,
  blockStartMs: number,
): { startMs: number; endMs: number } {
  const blockEnd = blockStartMs + ns.options.blockSizeMs;
  const covering = disk.covering(ns.name, shard, blockStartMs, blockEnd);
  return covering === undefined
    ? { startMs: blockStartMs, endMs: blockEnd }
    : { startMs: covering.id.startMs, endMs: covering.id.endMs };
}

/**
 * Flushes the buffered data of blocks of one shard that lie in one span
 * (flushSpanOf) into one new volume of that span, merged with every served
 * volume inside it; null when no series of the shard holds data for them or
 * the namespace went away meanwhile. Flushes of one span must not run at
 * once (the flush run gives each span one call).
 */
export async function flushBlocks(
  ctx: FlushContext,
  ns: Namespace,
  shard: number,
  span: { startMs: number; endMs: number },
  blockStarts: readonly number[],
): Promise<BlockFlushResult | null> {
  const table = ns.series;
  // Take the blocks' buckets from every series of the shard; reads find them in ns.flushing.
  const taken = new Map<string, { ref: number; buckets: Bucket[] }>();
  for (const ref of ns.liveRefs(shard)) {
    const buffer = table.buffers[ref];
    if (buffer === null) continue;
    const buckets: Bucket[] = [];
    for (const start of blockStarts) buckets.push(...buffer.takeBlock(start));
    if (buckets.length === 0) continue;
    taken.set(table.ids[ref] as string, { ref, buckets });
    const prior = ns.flushing.get(ref);
    ns.flushing.set(ref, prior === undefined ? buckets : prior.concat(buckets));
  }
  if (taken.size === 0) return null;

  const { startMs, endMs } = span;
  // Every served volume of the span is merged in, lowest number first; the
  // new volume's higher number then replaces them all.
  const inputs = ctx.disk
    .inRange(ns.name, shard, startMs, endMs)
    .filter((b) => b.id.startMs >= startMs && b.id.endMs <= endMs);
  for (const b of inputs) ctx.disk.acquire(b);
  const id: DataVolumeId = {
    namespace: ns.name,
    shard,
    startMs,
    endMs,
    volume: ctx.disk.nextVolume(ns.name, shard, startMs, endMs),
    // Only m3ts's format holds more than one block.
    format: endMs - startMs > ns.options.blockSizeMs ? "m3ts" : ns.options.fileFormat,
  };
  // Taken now, so that nothing else numbered for this span can take it meanwhile.
  ctx.disk.noteVolume(id);
  const keep: { id: string; data: SeriesData }[] | null = ctx.cache.cachesEverything ? [] : null;
  let series = 0;
  const what = `flushing ${dataVolumeLabel(id)}`;
  async function* entries(): AsyncGenerator<DataEntry> {
    for await (const group of entriesById(inputs)) {
      const sid = fromUtf8.decode(group[0].id);
      const t = taken.get(sid);
      if (t !== undefined) taken.delete(sid);
      const data = merge(
        group.map((e) => e.data),
        t,
      );
      if (data === null) continue;
      keep?.push({ id: sid, data });
      series++;
      yield { id: group[0].id, encodedTags: group[0].encodedTags, data };
    }
    for (const [sid, t] of taken) {
      const data = merge([], t);
      if (data === null) continue;
      keep?.push({ id: sid, data });
      series++;
      yield { id: utf8.encode(sid), encodedTags: table.tagsOf(t.ref), data };
    }
  }
  function merge(older: SeriesData[], t: { buckets: Bucket[] } | undefined): SeriesData | null {
    const sources: SeriesData[] = [...older];
    if (t !== undefined) {
      const streams: Uint8Array[] = [];
      for (const start of blockStarts) bucketStreams(t.buckets, start, start + 1, 1, streams);
      sources.push(...streams);
    }
    return mergeSeriesData(id.format, sources, startMs, what).data;
  }

  const takenRefs = [...taken.values()];
  const seriesFromBuffers = takenRefs.length;
  const releaseInputs = () => {
    for (const b of inputs) ctx.disk.release(b);
  };
  try {
    await writeDataVolume(ctx.root, id, ns.options.blockSizeMs, entries(), ctx.disk.handles.fs);
  } catch (err) {
    releaseInputs();
    putBack(ns, takenRefs);
    throw err;
  }
  releaseInputs();
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
  return { volume: id.volume, cold: inputs.length > 0, series, seriesFromBuffers };
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
