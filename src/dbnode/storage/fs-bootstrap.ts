// Bootstrap from the data directory's filesets (M3-NOTES §8.1): the data
// volumes are verified and served from disk (not loaded, unless the cache
// policy keeps everything), then the latest snapshot's volumes are loaded
// into the buffers; the commit log written after that snapshot comes next
// (commitlog-bootstrap.ts).

import { M3tszIterator } from "../../codec/index.js";
import type { FileSystem } from "../../x/file-system.js";
import type { Logger } from "../../x/index.js";
import {
  type ListedVolume,
  listSnapshotMetadata,
  listVolumes,
  openVolume,
  removeIncompleteVolumes,
  removeSnapshotMetadata,
  removeVolume,
  syncVolumeDirs,
  VolumeCorruptError,
  type VolumeId,
} from "../fs/index.js";
import type { BlockCache } from "./block-cache.js";
import {
  type BootstrapProgress,
  type ReplayTarget,
  restoreDatapoint,
  seriesRefFor,
} from "./commitlog-bootstrap.js";
import type { DiskBlocks } from "./disk-blocks.js";
import { eachBounded } from "./each-bounded.js";
import type { Namespace } from "./namespace.js";

/** Called for a volume that fails verification: it is not served. */
export type CorruptVolumeHandler = (kind: "data" | "snapshot", err: VolumeCorruptError) => void;

const fromUtf8 = new TextDecoder();
/** Volumes verified at once at bootstrap. */
const OPEN_CONCURRENCY = 8;

/** Whether every index block overlapping the data block at `blockStartMs` was loaded from an index volume. */
function covered(
  ns: Namespace,
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
export async function bootstrapDataVolumes(
  root: string,
  target: ReplayTarget,
  disk: DiskBlocks,
  cache: BlockCache,
  onCorrupt: CorruptVolumeHandler,
  indexLoaded: ReadonlyMap<string, ReadonlySet<number>> = new Map(),
): Promise<{ served: number; removed: number }> {
  // `removed` counts complete volumes deleted (superseded, expired, of dropped namespaces).
  const fs = disk.handles.fs;
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
    const ns = target.namespaces.get(group[0].namespace);
    const expired =
      ns !== undefined &&
      group[0].blockStartMs + ns.options.blockSizeMs <= target.nowMs - ns.options.retentionPeriodMs;
    if (ns === undefined || expired) {
      for (const v of group) await removeVolume(root, "data", v, fs);
      removed += group.length;
      return;
    }
    for (const v of group) disk.noteVolume(v);
    let servedOne = false;
    for (const v of group) {
      if (servedOne) {
        await removeVolume(root, "data", v, fs);
        removed++;
        continue;
      }
      try {
        const reader = await openVolume(root, "data", idOf(v), disk.handles);
        const block = disk.install(reader);
        served++;
        servedOne = true;
        // Series that now live only on disk are indexed again from the
        // volume's index file (the data file is read only to fill the cache),
        // unless index volumes loaded for the whole block already hold them.
        const index =
          ns.index !== null && !covered(ns, v.blockStartMs, indexLoaded) ? ns.index : null;
        if (cache.cachesEverything) {
          for await (const e of reader.entries()) {
            const id = fromUtf8.decode(e.id);
            cache.put(block.key, id, e.stream, target.nowMs);
            index?.insertEncoded(id, e.encodedTags, v.blockStartMs);
          }
        } else if (index !== null) {
          for await (const e of reader.series()) {
            index.insertEncoded(fromUtf8.decode(e.id), e.encodedTags, v.blockStartMs);
          }
        }
      } catch (err) {
        if (!(err instanceof VolumeCorruptError)) throw err;
        onCorrupt("data", err);
      }
    }
  });
  return { served, removed };
}

export interface SnapshotBootstrap {
  /** The snapshot loaded, or null when there is none. */
  index: number | null;
  /** Commit log files from this index on hold what the snapshot lacks. */
  commitLogIndex: number;
  /** The index the next snapshot takes. */
  nextIndex: number;
  datapoints: number;
}

/**
 * Loads the latest complete snapshot's volumes into the buffers and removes
 * every other snapshot volume and metadata file.
 */
export async function bootstrapSnapshot(
  fs: FileSystem,
  root: string,
  target: ReplayTarget,
  progress: BootstrapProgress,
  logger: Logger,
  onCorrupt: CorruptVolumeHandler,
): Promise<SnapshotBootstrap> {
  await removeIncompleteVolumes(root, "snapshot", fs);
  const listing = await listSnapshotMetadata(root, fs);
  const latest = listing.complete.at(-1) ?? null;
  let maxIndex = -1;
  for (const m of listing.complete) maxIndex = Math.max(maxIndex, m.index);
  for (const m of listing.invalid) maxIndex = Math.max(maxIndex, m.index);
  let datapoints = 0;
  const it = new M3tszIterator();
  const snapshotVolumes = await listVolumes(root, "snapshot", undefined, undefined, fs);
  // What is loaded must survive a crash, as the commit logs it replaces may go.
  await syncVolumeDirs(
    root,
    "snapshot",
    snapshotVolumes.filter((v) => v.volume === latest?.index),
    fs,
  );
  for (const v of snapshotVolumes) {
    // Volumes of other snapshots stay until the next snapshot's cleanup:
    // were they removed here and came back after a crash, a later snapshot
    // could take their number and read them as its own. Counting them keeps
    // the next number above theirs.
    maxIndex = Math.max(maxIndex, v.volume);
    if (latest === null || v.volume !== latest.index) continue;
    const ns = target.namespaces.get(v.namespace);
    if (ns === undefined) continue;
    let reader: Awaited<ReturnType<typeof openVolume>>;
    try {
      reader = await openVolume(root, "snapshot", idOf(v), fs);
    } catch (err) {
      if (!(err instanceof VolumeCorruptError)) throw err;
      onCorrupt("snapshot", err);
      continue;
    }
    try {
      const cutoff = target.nowMs - ns.options.retentionPeriodMs;
      for await (const e of reader.entries()) {
        const ref = seriesRefFor(target, ns, fromUtf8.decode(e.id), e.id, e.encodedTags);
        it.reset(e.stream);
        while (it.next()) {
          if (it.timeMs < cutoff) continue;
          const ok = restoreDatapoint(
            target,
            ns,
            ref,
            it.timeMs,
            it.nsInMs,
            it.value,
            it.unit,
            it.annotation,
          );
          if (ok) datapoints++;
          else progress.datapointsSkipped++;
        }
        if (it.error !== null) {
          // The volume's checksums passed, so the stream is as it was written.
          throw new Error(
            `snapshot volume ${v.namespace}/${v.shard}/${v.blockStartMs}: ${it.error}`,
          );
        }
      }
    } finally {
      await reader.close();
    }
  }
  // Only the listed files: an invalid entry may be stray temp files beside a complete index.
  for (const m of listing.invalid) for (const p of m.paths) await fs.rm(p, { force: true });
  for (const m of listing.complete) {
    if (m !== latest) await removeSnapshotMetadata(root, m.index, fs);
  }
  if (latest !== null) {
    logger.info(
      { snapshot: latest.index, commitLogIndex: latest.commitLogIndex, datapoints },
      "loaded the latest snapshot",
    );
  }
  return {
    index: latest?.index ?? null,
    commitLogIndex: latest?.commitLogIndex ?? 0,
    nextIndex: maxIndex + 1,
    datapoints,
  };
}

function idOf(v: VolumeId): VolumeId {
  return { namespace: v.namespace, shard: v.shard, blockStartMs: v.blockStartMs, volume: v.volume };
}
