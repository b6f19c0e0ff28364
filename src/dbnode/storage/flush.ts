// Flushing one shard's block to a fileset volume (M3's
// src/dbnode/storage/flush.go; when a block may flush:
// src/dbnode/retention/times.go). The first flush of a block (warm) writes
// volume 0 from the buffers; a later one (cold) merges the buffers' data for
// the block into the served volume and writes the next volume number, and the
// old volume is removed once the new one is complete and served. Reads see the
// taken buckets until then.
import { openVolume, removeVolume, type VolumeEntry, writeVolume } from "../fs/index.js";
import type { BlockCache } from "./block-cache.js";
import type { DiskBlocks } from "./disk-blocks.js";
import type { Namespace } from "./namespace.js";
import { type Bucket, blockStream } from "./series-buffer.js";

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

  const existing = ctx.disk.get(ns.name, shard, blockStartMs);
  if (existing !== undefined) ctx.disk.acquire(existing);
  const id = {
    namespace: ns.name,
    shard,
    blockStartMs,
    volume: ctx.disk.nextVolume(ns.name, shard, blockStartMs),
  };
  const keep: { id: string; stream: Uint8Array }[] | null = ctx.cache.cachesEverything ? [] : null;
  let series = 0;
  async function* entries(): AsyncGenerator<VolumeEntry> {
    if (existing !== undefined) {
      for await (const e of existing.reader.entries()) {
        const sid = fromUtf8.decode(e.id);
        const t = taken.get(sid);
        const stream = t === undefined ? e.stream : merge(blockStartMs, e.stream, t.buckets);
        if (t !== undefined) taken.delete(sid);
        keep?.push({ id: sid, stream });
        series++;
        yield { id: e.id, encodedTags: e.encodedTags, stream };
      }
    }
    for (const [sid, t] of taken) {
      const stream = merge(blockStartMs, null, t.buckets);
      keep?.push({ id: sid, stream });
      series++;
      yield { id: utf8.encode(sid), encodedTags: table.tagsOf(t.ref), stream };
    }
  }

  const takenRefs = [...taken.values()];
  const seriesFromBuffers = takenRefs.length;
  try {
    await writeVolume(ctx.root, "data", id, ns.options.blockSizeMs, entries(), {
      fs: ctx.disk.handles.fs,
    });
  } catch (err) {
    if (existing !== undefined) ctx.disk.release(existing);
    putBack(ns, takenRefs);
    throw err;
  }
  if (existing !== undefined) ctx.disk.release(existing);
  ctx.disk.noteVolume(id);
  if (!ctx.isLive(ns)) {
    await removeVolume(ctx.root, "data", id, ctx.disk.handles.fs);
    return null;
  }
  let reader: Awaited<ReturnType<typeof openVolume>>;
  try {
    reader = await openVolume(ctx.root, "data", id, ctx.disk.handles);
  } catch (err) {
    putBack(ns, takenRefs);
    throw err;
  }
  const block = ctx.disk.install(reader);
  if (keep !== null) for (const k of keep) ctx.cache.put(block.key, k.id, k.stream, 0);
  release(ns, takenRefs);
  return { volume: id.volume, cold: existing !== undefined, series, seriesFromBuffers };
}

/** One stream from a volume's stream (oldest) and buffer buckets (by creation order). */
function merge(blockStartMs: number, disk: Uint8Array | null, buckets: Bucket[]): Uint8Array {
  const stream = blockStream(buckets, blockStartMs, disk, `flushing block ${blockStartMs}`);
  return stream ?? new Uint8Array(0);
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
