// The fileset bootstrapper (M3's
// src/dbnode/storage/bootstrap/bootstrapper/fs/): loads the index volumes, then
// verifies the data volumes and serves them from disk (they are not loaded,
// unless the cache policy keeps everything). Series of a data block whose index
// blocks were not all loaded are indexed again from the volume's index file.
import { eachBounded } from "../../x/index.js";
import {
  type ListedVolume,
  listVolumes,
  openVolume,
  removeIncompleteVolumes,
  removeVolume,
  syncVolumeDirs,
  VolumeCorruptError,
  type VolumeId,
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

/** Whether every index block overlapping the data block at `blockStartMs` was loaded from an index volume. */
function covered(
  ns: BootstrapNamespace,
  blockStartMs: number,
  indexLoaded: ReadonlyMap<string, ReadonlySet<number>>,
): boolean {
  const index = ns.index;
  const loaded = indexLoaded.get(ns.name);
  if (index === null || loaded === undefined) return false;
  const end = blockStartMs + ns.options.blockSizeMs;
  for (let s = index.blockStart(blockStartMs); s < end; s += index.blockSizeMs) {
    if (!loaded.has(s)) return false;
  }
  return true;
}

/**
 * Serves the newest verified data volume of every block in retention;
 * removes incomplete volumes, volumes of dropped namespaces or past
 * retention, and older volumes a served one supersedes. A volume that fails
 * verification stays on disk (m3ts verify reports it) but is not served; the
 * next flush of its block takes a higher volume number.
 */
export async function serveDataVolumes(
  ctx: BootstrapContext,
  indexLoaded: ReadonlyMap<string, ReadonlySet<number>> = new Map(),
): Promise<{ served: number; removed: number }> {
  // `removed` counts complete volumes deleted (superseded, expired, of dropped namespaces).
  const { root, target } = ctx;
  const fs = target.handles.fs;
  await removeIncompleteVolumes(root, "data", fs);
  let removed = 0;
  let served = 0;
  const groups = new Map<string, ListedVolume[]>();
  const listed = (await listVolumes(root, "data", undefined, undefined, fs)).filter(
    (v) => v.complete,
  );
  // A flush whose directory sync failed leaves a volume that is read now but
  // may not survive a crash; the node serves what it reads, so make it durable.
  await syncVolumeDirs(root, "data", listed, fs);
  for (const v of listed) {
    const key = `${v.namespace}\u0000${v.shard}\u0000${v.blockStartMs}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [v]);
    else g.push(v);
  }
  // Blocks are independent: verify several at once (reading and checksumming is mostly I/O).
  await eachBounded([...groups.values()], OPEN_CONCURRENCY, async (group) => {
    group.sort((a, b) => b.volume - a.volume);
    const ns = target.namespace(group[0].namespace);
    const expired =
      ns !== undefined &&
      group[0].blockStartMs + ns.options.blockSizeMs <= target.nowMs - ns.options.retentionPeriodMs;
    if (ns === undefined || expired) {
      for (const v of group) await removeVolume(root, "data", v, fs);
      removed += group.length;
      return;
    }
    for (const v of group) target.noteDataVolume(v);
    let servedOne = false;
    for (const v of group) {
      if (servedOne) {
        await removeVolume(root, "data", v, fs);
        removed++;
        continue;
      }
      try {
        const reader = await openVolume(root, "data", idOf(v), target.handles);
        const volumeKey = target.serveDataVolume(reader);
        served++;
        servedOne = true;
        // Series that now live only on disk are indexed again from the
        // volume's index file (the data file is read only to fill the cache),
        // unless index volumes loaded for the whole block already hold them.
        const index =
          ns.index !== null && !covered(ns, v.blockStartMs, indexLoaded) ? ns.index : null;
        if (target.cachesEverything) {
          for await (const e of reader.entries()) {
            const id = fromUtf8.decode(e.id);
            target.cacheSeries(volumeKey, id, e.stream);
            index?.insertEncoded(id, e.encodedTags, v.blockStartMs);
          }
        } else if (index !== null) {
          for await (const e of reader.series()) {
            index.insertEncoded(fromUtf8.decode(e.id), e.encodedTags, v.blockStartMs);
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

export function idOf(v: VolumeId): VolumeId {
  return { namespace: v.namespace, shard: v.shard, blockStartMs: v.blockStartMs, volume: v.volume };
}
