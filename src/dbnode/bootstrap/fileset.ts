// The fileset bootstrapper (M3's
// src/dbnode/storage/bootstrap/bootstrapper/fs/): loads the index volumes, then
// verifies the data volumes of both formats and serves them from disk (they
// are not loaded, unless the cache policy keeps everything). Series of a
// volume whose index blocks were not all loaded are indexed again from the
// volume's series list, into every index block of its span that was not.
import { eachBounded } from "../../x/index.js";
import {
  type DataVolumeId,
  type ListedDataVolume,
  listDataVolumes,
  openDataVolume,
  removeDataVolume,
  removeIncompleteDataVolumes,
  syncDataVolumeDirs,
  VolumeCorruptError,
} from "../fs/index.js";
import {
  type BootstrapContext,
  type BootstrapFindings,
  type Bootstrapper,
  reportCorruptVolume,
} from "./bootstrapper.js";
import { loadIndexVolumes } from "./index-volumes.js";
import type { BootstrapNamespace } from "./target.js";

const fromUtf8 = new TextDecoder();
/** Volumes verified at once at bootstrap. */
const OPEN_CONCURRENCY = 8;

export const filesetBootstrapper: Bootstrapper = {
  name: "fileset",
  async bootstrap(ctx: BootstrapContext, found: BootstrapFindings): Promise<void> {
    const indexed = await loadIndexVolumes(ctx);
    ctx.progress.indexDocsLoaded = indexed.docs;
    for (const [namespace, starts] of indexed.loaded)
      found.indexBlocksLoaded.set(namespace, starts);
    const volumes = await serveDataVolumes(ctx, found.indexBlocksLoaded);
    ctx.progress.volumesServed = volumes.served;
    found.volumesRemoved += volumes.removed;
  },
};

/**
 * Starts of the index blocks overlapping the span [startMs, endMs) that were
 * not loaded from index volumes: the series of a data volume of that span
 * are indexed again into these.
 */
function unloadedIndexBlocks(
  ns: BootstrapNamespace,
  startMs: number,
  endMs: number,
  indexLoaded: ReadonlyMap<string, ReadonlySet<number>>,
): number[] {
  const index = ns.index;
  if (index === null) return [];
  const loaded = indexLoaded.get(ns.name);
  const out: number[] = [];
  for (let s = index.blockStart(startMs); s < endMs; s += index.blockSizeMs) {
    if (loaded === undefined || !loaded.has(s)) out.push(s);
  }
  return out;
}

/**
 * Serves the newest verified data volumes of every shard in retention, both
 * formats; removes incomplete volumes, volumes of dropped namespaces or
 * whose whole span is past retention, and volumes a served one supersedes
 * (a higher volume number whose span holds theirs: a cold flush or a
 * compaction whose old volumes a crash left behind). A volume that fails
 * verification stays on disk (m3ts verify reports it) but is not served;
 * the next flush of its block takes a higher volume number.
 */
export async function serveDataVolumes(
  ctx: BootstrapContext,
  indexLoaded: ReadonlyMap<string, ReadonlySet<number>> = new Map(),
): Promise<{ served: number; removed: number }> {
  // `removed` counts complete volumes deleted (superseded, expired, of dropped namespaces).
  const { root, target } = ctx;
  const fs = target.handles.fs;
  await removeIncompleteDataVolumes(root, fs);
  let removed = 0;
  let served = 0;
  const groups = new Map<string, ListedDataVolume[]>();
  const listed = (
    await listDataVolumes(root, fs, (name) => target.namespace(name)?.options.blockSizeMs)
  ).filter((v) => v.complete);
  // A flush whose directory sync failed leaves a volume that is read now but
  // may not survive a crash; the node serves what it reads, so make it durable.
  await syncDataVolumeDirs(root, listed, fs);
  for (const v of listed) {
    const key = `${v.namespace}\u0000${v.shard}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [v]);
    else g.push(v);
  }
  // Shards are independent: verify several at once (reading and checksumming is mostly I/O).
  await eachBounded([...groups.values()], OPEN_CONCURRENCY, async (group) => {
    const ns = target.namespace(group[0].namespace);
    if (ns === undefined) {
      for (const v of group) await removeDataVolume(root, v, fs);
      removed += group.length;
      return;
    }
    const cutoff = target.nowMs - ns.options.retentionPeriodMs;
    for (const v of group) if (v.endMs > cutoff) target.noteDataVolume(v);
    // Newest first: a volume is superseded when one served before it holds its span.
    group.sort((a, b) => b.volume - a.volume || a.startMs - b.startMs);
    const servedSpans: ListedDataVolume[] = [];
    for (const v of group) {
      const superseded = servedSpans.some((s) => s.startMs <= v.startMs && s.endMs >= v.endMs);
      if (v.endMs <= cutoff || superseded) {
        await removeDataVolume(root, v, fs);
        removed++;
        continue;
      }
      try {
        const reader = await openDataVolume(root, idOf(v), target.handles);
        const volumeKey = target.serveDataVolume(reader);
        served++;
        servedSpans.push(v);
        // Series that now live only on disk are indexed again from the
        // volume's series (its data is read only to fill the cache), unless
        // index volumes loaded for the whole span already hold them.
        const starts = unloadedIndexBlocks(ns, v.startMs, v.endMs, indexLoaded);
        const index = starts.length > 0 ? ns.index : null;
        if (target.cachesEverything) {
          for await (const e of reader.entries()) {
            const id = fromUtf8.decode(e.id);
            target.cacheSeries(volumeKey, id, e.data);
            for (const t of starts) index?.insertEncoded(id, e.encodedTags, t);
          }
        } else if (index !== null) {
          for await (const e of reader.series()) {
            const id = fromUtf8.decode(e.id);
            for (const t of starts) index.insertEncoded(id, e.encodedTags, t);
          }
        }
      } catch (err) {
        if (!(err instanceof VolumeCorruptError)) throw err;
        reportCorruptVolume(ctx, "data", err);
      }
    }
  });
  return { served, removed };
}

export function idOf(v: DataVolumeId): DataVolumeId {
  return {
    namespace: v.namespace,
    shard: v.shard,
    startMs: v.startMs,
    endMs: v.endMs,
    volume: v.volume,
    format: v.format,
  };
}
